import Foundation
import XCTest
@testable import Daemon
import Model
import Unlearning

/// The daemon's configuration file: defaults, every section read, and bad keys named.
final class DaemonConfigurationTests: XCTestCase {
    private func load(_ text: String) throws -> DaemonConfiguration {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-config-\(UUID().uuidString).json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try DaemonConfiguration.load(file)
    }

    func testAnEmptyObjectGivesTheDefaults() throws {
        let configuration = try load("{}")
        XCTAssertEqual(configuration, DaemonConfiguration())
        XCTAssertEqual(configuration.store, "Checkpoints")
        XCTAssertEqual(configuration.spool, "spool")
        XCTAssertEqual(configuration.update.learningRate, 2 * UnlearningOptions.recommended.learningRate, "projected steps: twice lethe forget's")
        XCTAssertEqual(configuration.update.epochs, 2 * UnlearningOptions.recommendedEpochs)
        XCTAssertNil(configuration.escalation.learningRate, "the job's own rate × the factor")
        XCTAssertEqual(configuration.escalation.learningRate(after: configuration.update.learningRate), 1e-3, accuracy: 1e-12,
                       "the embedded model's measured pair: 6e-4 escalating to 1e-3")
        XCTAssertEqual(configuration.gate.maxRougeLRecall, ForgetCriteria().maxRougeLRecall)
    }

    func testEverySectionIsRead() throws {
        let configuration = try load("""
            {"store": "/var/lib/lethe/store", "spool": "/var/lib/lethe/spool", "replay_items": 0, "rescan_seconds": 2.5,
             "update": {"method": "npo", "learning_rate": 1e-4, "epochs": 3, "beta": 0.5, "retain_weight": 2, "scope": "layers:2-5"},
             "gate": {"max_utility_drop": 0.05, "utility_items": 50},
             "limits": {"max_file_bytes": 4096, "max_items": 10},
             "policy": {"allowed_methods": ["dipo", "npo"], "max_epochs": 4}}
            """)
        XCTAssertEqual(configuration.store, "/var/lib/lethe/store")
        XCTAssertEqual(configuration.replayItems, 0)
        XCTAssertEqual(configuration.rescanSeconds, 2.5)
        XCTAssertEqual(configuration.update.method, "npo")
        XCTAssertEqual(configuration.update.epochs, 3)
        XCTAssertEqual(configuration.update.beta, 0.5)
        XCTAssertEqual(configuration.update.retainWeight, 2)
        XCTAssertEqual(configuration.update.scope, .layers(2...5))
        XCTAssertNil(try load(#"{"update": {"scope": "auto"}}"#).update.scope, "auto: the recommended scope for the model")
        XCTAssertEqual(configuration.gate.maxUtilityDrop, 0.05)
        XCTAssertEqual(configuration.limits.maxFileBytes, 4096)
        XCTAssertEqual(configuration.policy.allowedMethods, ["dipo", "npo"])
        XCTAssertEqual(configuration.policy.maxEpochs, 4)
        XCTAssertEqual(configuration.gate.maxRougeLRecall, ForgetCriteria().maxRougeLRecall, "keys not given keep their defaults")
    }

    func testTheSustainabilityKeysAreRead() throws {
        let defaults = try load("{}")
        XCTAssertEqual(defaults.update.forgetTarget, 0.05)
        XCTAssertEqual(defaults.update.retainTerm, .nll)
        XCTAssertFalse(defaults.update.startFromBase)
        XCTAssertEqual(defaults.gate.maxUtilityDropPerRequest, 0.05)
        XCTAssertEqual(defaults.gate.maxDegenerateShare, 0.1)
        XCTAssertEqual(try load(#"{"gate": {"max_degenerate_share": 0.25}}"#).gate.maxDegenerateShare, 0.25)
        XCTAssertThrowsError(try load(#"{"gate": {"max_degenerate_share": 1.5}}"#))
        XCTAssertEqual(defaults.update.retainWeight, 3, "successive updates hold the retain term harder than lethe forget's λ 1")
        XCTAssertEqual(defaults.update.retainBatchSize, 16)
        XCTAssertEqual(defaults.retainItemCount, 3000, "from the corpus")
        XCTAssertEqual(try load(#"{"retain_set": ["keep.jsonl"]}"#).retainItemCount, 400,
                       "a retain set's prompts are answered by the base version at start-up: fewer of them")
        XCTAssertEqual(try load(#"{"retain_set": ["keep.jsonl"], "retain_items": 50}"#).retainItemCount, 50)
        XCTAssertEqual(try load(#"{"retain_items": 7}"#).retainItemCount, 7)
        XCTAssertThrowsError(try load(#"{"retain_items": 0}"#))
        XCTAssertEqual(defaults.heldAnswers, 0)
        XCTAssertEqual(try load(#"{"held_answers": 400}"#).heldAnswers, 400)
        XCTAssertThrowsError(try load(#"{"held_answers": -1}"#)) { error in XCTAssertEqual((error as? ConfigurationError)?.key, "held_answers") }
        let configuration = try load(#"""
            {"update": {"forget_target": 0, "retain_term": "kl", "start_from": "base"},
             "gate": {"max_utility_drop_per_request": 0.01, "min_probability_ratio": 0.002, "min_fluency": 0.0005, "utility_alarm": 0.5}}
            """#)
        XCTAssertEqual(configuration.update.forgetTarget, 0)
        XCTAssertEqual(configuration.update.retainTerm, .kl)
        XCTAssertTrue(configuration.update.startFromBase)
        XCTAssertEqual(configuration.gate.maxUtilityDropPerRequest, 0.01)
        XCTAssertEqual(configuration.gate.minProbabilityRatio, 0.002)
        XCTAssertEqual(configuration.gate.minFluency, 0.0005)
        XCTAssertEqual(configuration.gate.utilityAlarm, 0.5)
        let small = LlamaConfig(vocabSize: 64, hiddenSize: 8, intermediateSize: 16, layerCount: 2, headCount: 2, keyValueHeadCount: 1)
        let options = JobSettings(configuration: configuration).unlearningOptions(configuration, model: small, seed: 1)
        XCTAssertNil(options.forgetTarget, "0 switches the early stopping off")
        XCTAssertEqual(options.retainTerm, .kl)
        XCTAssertEqual(JobSettings(configuration: defaults).unlearningOptions(defaults, model: small, seed: 1).forgetTarget, 0.05)
    }

    func testTheChangeGridIsReadAndReachesTheUpdate() throws {
        let small = LlamaConfig(vocabSize: 64, hiddenSize: 8, intermediateSize: 16, layerCount: 2, headCount: 2, keyValueHeadCount: 1)
        let options = { (text: String) throws -> UnlearningOptions in
            let configuration = try self.load(text)
            return JobSettings(configuration: configuration).unlearningOptions(configuration, model: small, seed: 1)
        }
        XCTAssertEqual(try options(#"{"update": {"change_bits": 18}}"#).changeGrid, ChangeGrid(bits: 18))
        XCTAssertNil(try options(#"{"update": {"change_bits": 0}}"#).changeGrid, "0 is no grid")
        let defaults = try options("{}").changeGrid
        XCTAssertEqual(defaults?.bits ?? 0, UnlearningOptions.recommendedChangeBits)
    }

    func testTheRetainProjectionIsReadAndReachesTheUpdateAndTheRecord() throws {
        let small = LlamaConfig(vocabSize: 64, hiddenSize: 8, intermediateSize: 16, layerCount: 2, headCount: 2, keyValueHeadCount: 1)
        let defaults = try load("{}")
        XCTAssertEqual(defaults.update.retainProjection, 1)
        XCTAssertEqual(JobSettings(configuration: defaults).unlearningOptions(defaults, model: small, seed: 1).retainProjection, 1)
        XCTAssertEqual(JobSettings(configuration: defaults).hyperparameters["retain_projection"], .number(1))
        let off = try load(#"{"update": {"retain_projection": 0}}"#)
        XCTAssertNil(JobSettings(configuration: off).unlearningOptions(off, model: small, seed: 1).retainProjection, "0 is off")
        XCTAssertNil(JobSettings(configuration: off).hyperparameters["retain_projection"])
        XCTAssertThrowsError(try load(#"{"update": {"retain_projection": -1}}"#)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "update.retain_projection")
        }
    }

    func testTheChangeDensityIsReadAndReachesTheUpdateAndTheRecord() throws {
        let small = LlamaConfig(vocabSize: 64, hiddenSize: 8, intermediateSize: 16, layerCount: 2, headCount: 2, keyValueHeadCount: 1)
        let defaults = try load("{}")
        XCTAssertEqual(defaults.update.changeDensity, DaemonConfiguration.UpdateSettings().changeDensity)
        let sparse = try load(#"{"update": {"change_density": 0.25}}"#)
        XCTAssertEqual(JobSettings(configuration: sparse).unlearningOptions(sparse, model: small, seed: 1).changeDensity, ChangeDensity(fraction: 0.25))
        XCTAssertEqual(JobSettings(configuration: sparse).hyperparameters["change_density"], .number(0.25))
        let whole = try load(#"{"update": {"change_density": 1}}"#)
        XCTAssertNil(JobSettings(configuration: whole).unlearningOptions(whole, model: small, seed: 1).changeDensity, "1 changes every weight")
        XCTAssertNil(JobSettings(configuration: whole).hyperparameters["change_density"])
        for bad in ["0", "1.5"] {
            XCTAssertThrowsError(try load(#"{"update": {"change_density": \#(bad)}}"#)) { error in
                XCTAssertEqual((error as? ConfigurationError)?.key, "update.change_density")
            }
        }
    }

    func testServedFormatsAreReadInOrderWithoutRepeats() throws {
        XCTAssertEqual(try load("{}").gate.servedFormats, [])
        XCTAssertEqual(try load(#"{"gate": {"served_formats": ["q4_k_m", "q8_0", "q4_k_m"]}}"#).gate.servedFormats, [.q4_k_m, .q8_0])
    }

    func testBadConfigurationsNameTheKey() throws {
        let cases: [(String, String?, String)] = [
            ("{\"stor\": \"x\"}", "stor", "is not a configuration key"),
            ("{\"update\": {\"lr\": 1}}", "update.lr", "is not a configuration key"),
            ("{\"update\": {\"epochs\": 0}}", "update.epochs", "whole number from 1"),
            ("{\"update\": {\"epochs\": 2.5}}", "update.epochs", "whole number"),
            ("{\"update\": {\"method\": \"magic\"}}", "update.method", "must be one of"),
            ("{\"update\": {\"scope\": \"attention\"}}", "update.scope", "must be auto, all, mlp, upper-half or layers:A-B"),
            ("{\"update\": []}", "update", "must be a JSON object"),
            ("{\"update\": {\"forget_target\": 1}}", "update.forget_target", "from 0.0 to 0.99"),
            ("{\"update\": {\"retain_term\": \"mse\"}}", "update.retain_term", "must be nll or kl"),
            ("{\"update\": {\"start_from\": \"head\"}}", "update.start_from", "must be parent or base"),
            ("{\"update\": {\"change_bits\": 23}}", "update.change_bits", "whole number from 0 to 22"),
            ("{\"gate\": {\"served_formats\": [\"q3_k\"]}}", "gate.served_formats", "must be an array of GGUF types among f32, f16, bf16, q8_0, q4_0, q4_k_m"),
            ("{\"gate\": {\"served_formats\": \"q8_0\"}}", "gate.served_formats", "must be an array of GGUF types"),
            ("{\"gate\": {\"min_fluency\": -1}}", "gate.min_fluency", "from 0.0 to 1.0"),
            ("{\"gate\": {\"max_rouge_l_recall\": 2}}", "gate.max_rouge_l_recall", "from 0.0 to 1.0"),
            ("{\"store\": \"\"}", "store", "non-empty string"),
            ("{\"policy\": {\"allowed_methods\": [\"npo\"]}}", "policy.allowed_methods", "must include update.method"),
            ("{\"policy\": {\"allowed_methods\": []}}", "policy.allowed_methods", "non-empty array"),
            ("{\"base_model\": \"/models/smollm2.gguf\"}", "retain_set", "is required when base_model is not the embedded model"),
            ("{\"retain_set\": []}", "retain_set", "non-empty array of file paths"),
            ("{\"retain_set\": [\"a.jsonl\", 3]}", "retain_set", "non-empty array of file paths"),
            ("{\"utility_set\": \"u.jsonl\"}", "retain_set", "is required with utility_set"),
            ("{\"retain_set\": \"r.jsonl\", \"corpus\": \"c\"}", "corpus", "give one of them"),
            ("[1]", nil, "must be a JSON object"),
            ("{", nil, "is not valid JSON"),
        ]
        for (text, key, reason) in cases {
            XCTAssertThrowsError(try load(text), text) { error in
                guard let error = error as? ConfigurationError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(error.key, key, text)
                XCTAssertTrue(error.reason.contains(reason), "\(text): \(error)")
            }
        }
    }

    func testTheDataToKeepIsTheCorpusByDefaultAndTheUsersSetsWhenGiven() throws {
        XCTAssertEqual(try load("{}").keptDataSource, .corpus(DaemonConfiguration.defaultCorpus), "no configuration: as before")
        XCTAssertEqual(try load("{\"base_model\": \"./Checkpoints/base\"}").keptDataSource, .corpus(DaemonConfiguration.defaultCorpus))
        XCTAssertEqual(try load("{\"base_model\": \"/m\", \"corpus\": \"/m/corpus\"}").keptDataSource, .corpus("/m/corpus"))
        let sets = try load("{\"base_model\": \"/m.gguf\", \"retain_set\": \"r.jsonl\"}")
        XCTAssertEqual(sets.keptDataSource, .sets(retain: ["r.jsonl"], utility: ["r.jsonl"]), "the retain set measures utility when no utility set is given")
        XCTAssertEqual(try load("{\"base_model\": \"/m.gguf\", \"retain_set\": [\"r1.jsonl\", \"r2.jsonl\"], \"utility_set\": \"u.jsonl\"}").keptDataSource,
                       .sets(retain: ["r1.jsonl", "r2.jsonl"], utility: ["u.jsonl"]))
    }

    func testTheEscalationSectionIsReadAndItsFormerNameFallbackStillIs() throws {
        let escalation = try load(#"{"escalation": {"enabled": false, "epochs": 7, "learning_rate": 5e-4}}"#).escalation
        XCTAssertEqual([escalation.enabled ? 1 : 0, escalation.epochs], [0, 7])
        XCTAssertEqual(escalation.learningRate, 5e-4)
        XCTAssertNil(try load(#"{"escalation": {"epochs": 7}}"#).escalation.learningRate, "unset: the job's rate × the factor")
        XCTAssertThrowsError(try load(#"{"escalation": {"learning_rate": 0}}"#)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "escalation.learning_rate")
        }
        XCTAssertEqual(try load(#"{"fallback": {"enabled": false, "epochs": 7, "learning_rate": 5e-4}}"#).escalation, escalation)
        XCTAssertThrowsError(try load(#"{"escalation": {}, "fallback": {}}"#)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "fallback")
        }
        XCTAssertThrowsError(try load(#"{"fallback": {"retries": 2}}"#)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "fallback.retries")
        }
    }
}
