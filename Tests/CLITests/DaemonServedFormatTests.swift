import Foundation
import XCTest

/// The gate also measures the version as the configured GGUF types would serve it, and a
/// version that forgets as it is but whose item comes back under a served type is not
/// published, with both sets of numbers in the error file.
final class DaemonServedFormatTests: XCTestCase {
    private let formats = ["q4_k_m", "q4_0"]

    /// A daemon whose gate counts an item forgotten when its p̄ ratio is at most `maxRatio`
    /// (ROUGE-L not judged), serving `formats`; a small update (lr 1e-4, 15 epochs, no early
    /// stop, no retain projection, which would damp it to a ratio near 0.95) leaves the quick
    /// model's one item at a ratio near 0.65, and quantisation moves it.
    private func answer(maxRatio: Double) throws -> (report: [String: Any], daemon: DaemonHarness) {
        let daemon = try DaemonHarness(overrides: [
            "update": ["epochs": 15, "learning_rate": 1e-4, "forget_target": 0, "retain_projection": 0],
            "gate": ["max_probability_ratio": maxRatio, "max_rouge_l_recall": 1.0, "max_utility_drop": 1, "utility_items": 5,
                     "served_formats": formats],
        ])
        let name = try daemon.submit(DaemonHarness.request(id: "served", author: "author-004", count: 1))
        try daemon.start()
        daemon.waitForAnswers([name])
        let report = try daemon.report(name)
        daemon.stop()
        return (report, daemon)
    }

    private func ratios(_ metrics: [String: Any]) throws -> (version: Double, served: [String: Double]) {
        let served = try XCTUnwrap(metrics["served"] as? [String: [String: Any]])
        return (try XCTUnwrap(metrics["job_probability_ratio"] as? Double),
                try served.mapValues { try XCTUnwrap($0["job_probability_ratio"] as? Double) })
    }

    func testAVersionWhoseItemComesBackUnderAServedTypeIsNotPublished() throws {
        // Every ratio passes: the version is published and its metrics carry each served type's figures.
        let (measured, _) = try answer(maxRatio: 1)
        XCTAssertEqual(measured["status"] as? String, "applied")
        let (version, served) = try ratios(try XCTUnwrap(measured["metrics"] as? [String: Any]))
        XCTAssertEqual(Set(served.keys), Set(formats))
        XCTAssertLessThan(version, 0.9, "the update made the answer less likely")
        // Quantised, the version finds the answer more likely than as it is (measured: q4_k_m 0.657
        // against 0.649), so a criterion between the two passes it and refuses its served form.
        let (back, backRatio) = try XCTUnwrap(served.max { $0.value < $1.value })
        XCTAssertGreaterThan(backRatio, version, "no served type brought the answer back: \(served) against \(version)")
        let threshold = (version + backRatio) / 2

        let (refused, daemon) = try answer(maxRatio: threshold)
        XCTAssertEqual(refused["status"] as? String, "failed")
        XCTAssertEqual(try daemon.store().head(), 0, "nothing published")
        let error = try XCTUnwrap(refused["error"] as? [String: Any])
        let message = try XCTUnwrap(error["message"] as? String)
        XCTAssertTrue(message.contains("does not forget 1 item"), message)
        let metrics = try XCTUnwrap(error["metrics"] as? [String: Any])
        let (refusedVersion, refusedServed) = try ratios(metrics)
        // Both sets of numbers, as the first run measured them: the same update on the same machine.
        XCTAssertEqual(refusedVersion, version, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(refusedVersion, threshold, "forgotten as it is")
        XCTAssertEqual(try XCTUnwrap(refusedServed[back]), backRatio, accuracy: 1e-9)
        let servedMetrics = try XCTUnwrap((metrics["served"] as? [String: [String: Any]])?[back])
        let item = try XCTUnwrap((refused["items"] as? [[String: Any]])?.first)
        XCTAssertEqual(servedMetrics["unforgotten"] as? [String], [try XCTUnwrap(item["id"] as? String)])
        XCTAssertEqual(item["state"] as? String, "failed")
        XCTAssertNotNil(servedMetrics["utility"] as? Double)
        // The item's attempt says the same: forgotten as the version is, not as served.
        let attempt = try XCTUnwrap(((item["scores"] as? [String: Any])?["attempts"] as? [[String: Any]])?.first)
        XCTAssertEqual(try XCTUnwrap(attempt["probability_ratio"] as? Double), version, accuracy: 1e-9)
        let servedAttempt = try XCTUnwrap((attempt["served"] as? [String: [String: Any]])?[back])
        XCTAssertEqual(try XCTUnwrap(servedAttempt["probability_ratio"] as? Double), backRatio, accuracy: 1e-9)
        XCTAssertEqual(servedAttempt["forgotten"] as? Bool, false)
    }
}
