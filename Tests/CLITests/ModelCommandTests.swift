import Foundation
import Model
import XCTest

/// `lethe score`, `lethe convert` and `lethe bench train` through the real executable.
final class ModelCommandTests: XCTestCase {
    let ids = [1, 49, 13, 9, 14, 8, 80, 11, 80]

    func testScorePrintsEachTokensLogProbabilityAndTheMeanNLL() throws {
        let folder = Fixture.llama.appendingPathComponent("mha_tied")
        let result = try LetheProcess.json(["score", "--model", folder.path, "--ids", ids.map(String.init).joined(separator: " "), "--json"])
        let positions = try XCTUnwrap(result["positions"] as? [[String: Any]])
        XCTAssertEqual(positions.count, ids.count - 1)
        XCTAssertEqual(positions.first?["token"] as? Int, ids[1])

        let model = try ModelFolder.load(folder)
        try model.forward(try TokenBatch(sequences: [ids]))
        let expected = model.crossEntropyLoss()
        let meanNLL = try XCTUnwrap(result["mean_nll"] as? Double)
        XCTAssertEqual(meanNLL, Double(expected), accuracy: 1e-5)
        let logprobs = positions.compactMap { $0["logprob"] as? Double }
        XCTAssertEqual(-logprobs.reduce(0, +) / Double(logprobs.count), meanNLL, accuracy: 1e-5)
    }

    func testScoreRejectsBadInputWithAMessageNamingIt() throws {
        let folder = Fixture.llama.appendingPathComponent("mha_tied").path
        let badIDs = try LetheProcess.run(["score", "--model", folder, "--ids", "1 two 3"])
        XCTAssertNotEqual(badIDs.status, 0)
        XCTAssertTrue(badIDs.standardError.contains("'two'"), badIDs.standardError)

        let outOfVocabulary = try LetheProcess.run(["score", "--model", folder, "--ids", "1 5000"])
        XCTAssertNotEqual(outOfVocabulary.status, 0)
        XCTAssertTrue(outOfVocabulary.standardError.contains("5000"), outOfVocabulary.standardError)

        let missing = try LetheProcess.run(["score", "--model", "/nonexistent/model", "--ids", "1 2"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.standardError.contains("/nonexistent/model/config.json"), missing.standardError)
    }

    func testConvertWritesAFolderThatLoadsBackBitIdentical() throws {
        let source = Fixture.llama.appendingPathComponent("gqa_untied")
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try LetheProcess.run(["convert", "--model", source.path, "--out", out.path])
        XCTAssertEqual(result.status, 0, result.standardError)
        let original = try ModelFolder.load(source), converted = try ModelFolder.load(out)
        XCTAssertEqual(original.config, converted.config)
        XCTAssertTrue(zip(original.parameters, converted.parameters).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    func testBenchTrainReportsTheDocumentedKeys() throws {
        let result = try LetheProcess.json(["bench", "train", "--shape", "small", "--batch", "2", "--seq", "16", "--steps", "1", "--json"])
        for key in ["ms_per_step", "tokens_per_s", "gflops", "sgemm_peak_gflops", "peak_rss_mb"] {
            let value = try XCTUnwrap(result[key] as? Double, key)
            XCTAssertGreaterThan(value, 0, key)
        }
        XCTAssertEqual(result["shape"] as? String, "small")
        let loss = try XCTUnwrap(result["final_loss"] as? Double)
        XCTAssertEqual(loss, log(2048), accuracy: 0.5, "random tokens on a fresh model cost about ln(vocabulary)")
    }

    func testBenchTrainRunsDiPOStepsOverAScopeAndReportsTheMemory() throws {
        let result = try LetheProcess.json(["bench", "train", "--shape", "small", "--objective", "dipo", "--scope", "upper-half",
                                            "--batch", "2", "--seq", "16", "--steps", "1", "--json"])
        XCTAssertEqual(result["objective"] as? String, "dipo")
        XCTAssertEqual(result["scope"] as? String, "upper-half")
        let parameters = try XCTUnwrap(result["parameters"] as? Int), trainable = try XCTUnwrap(result["trainable_parameters"] as? Int)
        XCTAssertLessThan(trainable, parameters / 2, "three of six layers train, not the embedding")
        for key in ["ms_per_step", "weights_mb", "gradients_mb", "optimizer_mb", "activations_mb", "reference_mb", "peak_rss_mb"] {
            XCTAssertGreaterThan(try XCTUnwrap(result[key] as? Double, key), 0, key)
        }
        XCTAssertEqual(try XCTUnwrap(result["optimizer_mb"] as? Double), 2 * (try XCTUnwrap(result["gradients_mb"] as? Double)),
                       accuracy: 1e-9, "two AdamW moments per trainable parameter")
    }

    func testBenchTrainRejectsANonPositiveStepCount() throws {
        let result = try LetheProcess.run(["bench", "train", "--steps", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("--steps"), result.standardError)
    }
}

final class BenchStoreCommandTests: XCTestCase {
    func testQuickStoreBenchmarkReportsTheDocumentedKeys() throws {
        let result = try LetheProcess.json(["bench", "store", "--quick", "--json"])
        for key in ["full_ratio_vs_zstd", "delta_ratio_vs_zstd", "compress_mb_s", "restore_mb_s"] {
            let value = try XCTUnwrap(result[key] as? Double, key)
            XCTAssertGreaterThan(value, 0, key)
        }
        let delta = try XCTUnwrap(result["delta_ratio_vs_zstd"] as? Double)
        XCTAssertLessThan(delta, 1, "a delta against the parent is smaller than zstd -3 of the whole file")
        XCTAssertEqual((result["cases"] as? [[String: Any]])?.count, 2)
        XCTAssertLessThan(try XCTUnwrap(result["unchanged_tensor_bytes"] as? Double), 1024)
    }
}
