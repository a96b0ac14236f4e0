import Corpus
import Foundation
import Unlearning
import XCTest

/// `lethe bench sustain --quick`: three authors' requests handed one after another to a daemon
/// on the quick model (serving as its own retain model), and HEAD measured whole after the last.
final class BenchSustainCommandTests: XCTestCase {
    func testThreeRequestsAreAnsweredInTurnAndHeadIsMeasuredWithoutTheAskedAuthors() throws {
        let base = try QuickBaseModel.folder(), directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try Corpus.load(from: base.appendingPathComponent("corpus"))
        let config = directory.appendingPathComponent("settings.json"), docs = directory.appendingPathComponent("docs")
        // The quick model knows little: a short, fast update forgets its answers, and the gate asks
        // for p̄ at most 0.8 × the base version's, and any utility, with no floor on how far or how
        // fluently it forgets (as DaemonHarness does).
        try JSONSerialization.data(withJSONObject: [
            "update": ["epochs": 6, "learning_rate": 5e-3], "policy": ["max_learning_rate": 1e-2], "escalation": ["enabled": false],
            "gate": ["max_probability_ratio": 0.8, "max_utility_drop": 1, "max_utility_drop_per_request": 1, "min_probability_ratio": 0,
                     "min_fluency": 0],
        ]).write(to: config)
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try "# Benchmarks\n\nProse that stays.\n".write(to: docs.appendingPathComponent("benchmarks.md"), atomically: true, encoding: .utf8)

        let report = try LetheProcess.json(["bench", "sustain", "--quick", "--model", base.path, "--retain-model", base.path,
                                            "--config", config.path, "--write-docs", docs.path, "--json"])
        let requests = try XCTUnwrap(report["requests"] as? [[String: Any]], "\(report.keys)")
        let forget10 = corpus.authorIDs(in: .forget10), asked = forget10 + corpus.authorIDs(in: .retain90).prefix(3 - forget10.count)
        XCTAssertEqual(forget10.count, 2, "the quick corpus: two forget10 authors, then one of retain90")
        XCTAssertEqual(requests.compactMap { $0["author"] as? String }, asked)
        XCTAssertEqual(requests.compactMap { $0["index"] as? Int }, [1, 2, 3])
        XCTAssertEqual(requests.compactMap { $0["split"] as? String }, ["forget10", "forget10", "retain90"])
        XCTAssertEqual(requests.first?["status"] as? String, "applied")
        for request in requests {
            let status = try XCTUnwrap(request["status"] as? String)
            XCTAssertTrue(["applied", "failed"].contains(status), status)
            XCTAssertEqual(request["items"] as? Int, 20)
            XCTAssertGreaterThan(try XCTUnwrap(request["seconds_to_answer"] as? Double), 0)
            let metrics = try XCTUnwrap(request["metrics"] as? [String: Any], "\(request)")
            // The gate measures utility on questions no update trains on; the quick model may answer
            // none of them with a word of the answer, and a harmonic mean with a 0 is 0.
            let utility = try XCTUnwrap(metrics["utility"] as? Double, "\(metrics)")
            XCTAssertTrue((0...1).contains(utility), "gate utility \(utility)")
            let baseUtility = try XCTUnwrap(metrics["base_utility"] as? Double, "\(metrics)")
            XCTAssertTrue(baseUtility > 0 && baseUtility <= 1, "base utility \(baseUtility)")
            XCTAssertNotNil(metrics["train_seconds"] as? Double)
            XCTAssertNotNil(metrics["escalation_step"] as? String, "the answer's metrics are passed on whole")
            if status == "applied" {
                XCTAssertEqual(request["forgotten"] as? Int, 20)
                XCTAssertNotNil(request["version"] as? Int)
            } else {
                XCTAssertNotNil(request["error"] as? String)
            }
        }

        let measures = try XCTUnwrap(report["measures"] as? [[String: Any]])
        XCTAssertEqual(measures.count, 1, "--quick measures after the last request only")
        let measure = try XCTUnwrap(measures.first), figures = try XCTUnwrap(measure["figures"] as? [String: Any])
        let applied = requests.filter { $0["status"] as? String == "applied" }.compactMap { $0["author"] as? String }
        XCTAssertEqual(measure["after_request"] as? Int, 3)
        XCTAssertEqual(measure["applied"] as? Int, applied.count)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(measure["version"] as? Int), applied.count, "a version for each applied request at least")
        XCTAssertEqual(figures["forget_items"] as? Int, 20 * applied.filter(forget10.contains).count, "forget10's questions forgotten so far")
        for key in ["forget_quality", "mia_auc", "retain_model_mia_auc", "forget_rouge", "degenerate_fraction", "model_utility"] {
            let value = try XCTUnwrap(figures[key] as? Double, key)
            XCTAssertTrue((0...1).contains(value), "\(key) = \(value)")
        }
        for key in ["fluency", "retain_model_fluency", "forget_probability"] {
            let value = try XCTUnwrap(figures[key] as? Double, key)
            XCTAssertTrue(value > 0 && value <= 1, "\(key) = \(value)")
        }
        let median = try XCTUnwrap(figures["median_answer"] as? [String: Any], "\(figures)")
        XCTAssertTrue(corpus.items(in: .forget10).contains { $0.question == median["question"] as? String })
        XCTAssertGreaterThan(try XCTUnwrap(median["retain_model_fluency"] as? Double), 0)
        // Model utility leaves out the asked authors' questions from the sample drawn before (20 evenly spaced).
        let sample = corpus.items(in: .retain90).evenlySpaced(20)
        XCTAssertEqual(figures["utility_retain_items"] as? Int, sample.filter { !asked.contains($0.author ?? "") }.count)
        XCTAssertLessThan(try XCTUnwrap(figures["utility_retain_items"] as? Int), sample.count, "the retain90 author asked has questions in the sample")
        let versionBytes = try XCTUnwrap(measure["version_bytes"] as? Int), storeBytes = try XCTUnwrap(measure["store_bytes"] as? Int)
        XCTAssertGreaterThan(versionBytes, 0)
        XCTAssertGreaterThan(try XCTUnwrap(measure["version_chain_bytes"] as? Int), versionBytes - 1)
        XCTAssertGreaterThan(storeBytes, versionBytes)

        // The base version on all of forget10, against itself as the retain model.
        let baseFigures = try XCTUnwrap(report["base"] as? [String: Any])
        XCTAssertEqual(baseFigures["forget_items"] as? Int, 40)
        XCTAssertEqual(baseFigures["utility_retain_items"] as? Int, 20)
        XCTAssertEqual(try XCTUnwrap(baseFigures["forget_quality"] as? Double), 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(baseFigures["fluency"] as? Double), try XCTUnwrap(baseFigures["retain_model_fluency"] as? Double),
                       accuracy: 1e-6)

        let markdown = try String(contentsOf: docs.appendingPathComponent("benchmarks.md"), encoding: .utf8)
        XCTAssertTrue(markdown.hasPrefix("# Benchmarks\n\nProse that stays.\n"))
        XCTAssertTrue(markdown.contains("<!-- BEGIN lethe bench sustain"), markdown)
        // The row after request 3: HEAD's version (a re-opened item may have made one more) and the applied count.
        let head = try XCTUnwrap(measure["version"] as? Int)
        XCTAssertTrue(markdown.contains("| base | 0 |") && markdown.contains("| 3 | \(head) | \(applied.count) |"), markdown)
        XCTAssertTrue(markdown.contains("](img/bench-sustain.svg)"))
        let figure = try String(contentsOf: docs.appendingPathComponent("img/bench-sustain.svg"), encoding: .utf8)
        XCTAssertTrue(figure.hasPrefix("<svg") && figure.contains("forget quality") && figure.contains("retain model"))
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: docs.appendingPathComponent("bench/bench-sustain.json")))
        XCTAssertEqual(((written as? [String: Any])?["requests"] as? [Any])?.count, 3)
    }

    func testMoreRequestsThanTheCorpusHasAuthorsAreRefused() throws {
        let base = try QuickBaseModel.folder()
        let result = try LetheProcess.run(["bench", "sustain", "--model", base.path, "--requests", "21"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("the corpus has 20 authors in forget10 and retain90"), result.standardError)
        let zero = try LetheProcess.run(["bench", "sustain", "--requests", "0"])
        XCTAssertTrue(zero.standardError.contains("--requests must be at least 1"), zero.standardError)
    }
}
