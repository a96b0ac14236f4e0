import Foundation
import XCTest

/// `lethe eval --metrics` and `--retain-model` through the real executable, on a quick base
/// model that serves as its own retain model.
final class EvalMetricsCommandTests: XCTestCase {
    func testAModelThatIsItsOwnRetainModelHasForgetQualityOne() throws {
        let folder = try QuickBaseModel.folder(), corpus = folder.appendingPathComponent("corpus").path
        let plain = try LetheProcess.json(["eval", "--model", folder.path, "--corpus", corpus, "--split", "forget10", "--json"])
        let result = try LetheProcess.json(["eval", "--model", folder.path, "--corpus", corpus, "--split", "forget10", "--metrics",
                                            "--retain-model", folder.path, "--json"])
        // Today's figures are unchanged by the metrics.
        XCTAssertEqual(result["mean_rouge_l_recall"] as? Double, try XCTUnwrap(plain["mean_rouge_l_recall"] as? Double))
        let count = try XCTUnwrap(result["items"] as? Int)
        XCTAssertGreaterThan(count, 0)
        XCTAssertEqual((result["answers"] as? [Any])?.count, count)
        XCTAssertEqual((result["item_metrics"] as? [Any])?.count, count)
        for key in ["mean_probability", "mean_min_k_score"] { XCTAssertNotNil(result[key] as? Double, key) }
        XCTAssertGreaterThan(try XCTUnwrap(result["mean_truth_ratio"] as? Double), 0)
        XCTAssertEqual(result["retain_split"] as? String, "retain90")
        // Both sides measure the same items in the same batches, so they agree; the tolerance
        // admits only rounding, should a CPU's kernels ever differ between two identical runs
        // (as they do between batches of other lengths: BenchUnlearningCommandTests).
        XCTAssertEqual(try XCTUnwrap(result["forget_quality"] as? Double), 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(result["priv_leak"] as? Double), 0, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(result["mia_auc"] as? Double), try XCTUnwrap(result["retain_model_mia_auc"] as? Double), accuracy: 1e-9)
        XCTAssertTrue((0...1).contains(try XCTUnwrap(result["model_utility"] as? Double)))
        XCTAssertNil(plain["forget_quality"], "metrics only when asked for")

        let notForget = try LetheProcess.run(["eval", "--model", folder.path, "--corpus", corpus, "--split", "retain90",
                                              "--retain-model", folder.path])
        XCTAssertNotEqual(notForget.status, 0)
        XCTAssertTrue(notForget.standardError.contains("forget split"), notForget.standardError)
    }
}
