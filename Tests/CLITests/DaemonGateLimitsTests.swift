import Foundation
import XCTest

/// The gate refuses a version that forgets its items too far or into word salad, and the error
/// file carries the numbers it judged by.
final class DaemonGateLimitsTests: XCTestCase {
    private func failedReport(gate: [String: Any]) throws -> (report: [String: Any], metrics: [String: Any], message: String, daemon: DaemonHarness) {
        let daemon = try DaemonHarness(overrides: ["gate": gate.merging(["max_probability_ratio": 0.8, "max_utility_drop": 1, "utility_items": 5]) { $1 }])
        let name = try daemon.submit(DaemonHarness.request(id: "limits", author: "author-004", count: 3))
        try daemon.start()
        daemon.waitForAnswers([name])
        XCTAssertEqual(daemon.answered(.failed), [name], daemon.log)
        let report = try daemon.report(name)
        let error = try XCTUnwrap(report["error"] as? [String: Any])
        let metrics = try XCTUnwrap(error["metrics"] as? [String: Any])
        XCTAssertEqual(try daemon.store().head(), 0, "nothing published")
        daemon.stop()
        return (report, metrics, error["message"] as? String ?? "", daemon)
    }

    func testAVersionWhoseAnswersAreWordSaladToTheBaseVersionIsNotPublished() throws {
        // No greedy answer of a changed model is 0.999 likely to the base version: the floor refuses it.
        let (report, metrics, message, _) = try failedReport(gate: ["min_fluency": 0.999])
        XCTAssertTrue(message.contains("degenerate: the job's answers have fluency"), message)
        let fluency = try XCTUnwrap(metrics["job_fluency"] as? Double)
        XCTAssertGreaterThan(fluency, 0)
        XCTAssertLessThan(fluency, 0.999)
        XCTAssertEqual(metrics["min_fluency"] as? Double, 0.999)
        let items = try XCTUnwrap(report["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["state"] as? String }, ["failed", "failed", "failed"])
    }

    func testAVersionThatForgetsFarPastTheNeverSeenLevelIsNotPublished() throws {
        // Forgotten means a p̄ ratio of at most 0.8 here; below 0.5 it is refused as over-forgotten,
        // and this update (15 epochs at 3e-3, stopping items at 0.05) goes below.
        let (_, metrics, message, _) = try failedReport(gate: ["min_probability_ratio": 0.5])
        XCTAssertTrue(message.contains("over-forgotten: the job's answers are"), message)
        let ratio = try XCTUnwrap(metrics["job_probability_ratio"] as? Double)
        XCTAssertLessThan(ratio, 0.5)
        XCTAssertGreaterThan(ratio, 0)
        XCTAssertEqual(metrics["min_probability_ratio"] as? Double, 0.5)
        XCTAssertEqual(metrics["unforgotten"] as? [String], [], "every item met the forget criteria: the floor alone refused it")
    }

    func testAJobTheGateRefusesIsTriedAgainOneRequestAtATimeAndEachFailsWithItsOwnNumbers() throws {
        // Two requests handed in before the start make one job; every version is refused as word
        // salad (no changed model's answers are 0.999 likely to the base version), so the job is
        // split and each request fails alone, its error file holding its own job's numbers.
        let daemon = try DaemonHarness(overrides: ["gate": ["max_probability_ratio": 0.8, "max_utility_drop": 1, "utility_items": 5,
                                                            "min_fluency": 0.999]])
        let names = try [("apart-a", "author-004"), ("apart-b", "author-005")].map { id, author in
            try daemon.submit(DaemonHarness.request(id: id, author: author, count: 2))
        }
        try daemon.start()
        daemon.waitForAnswers(names)
        daemon.stop()
        XCTAssertEqual(daemon.answered(.failed), names.sorted(), daemon.log)
        XCTAssertTrue(daemon.log.contains("its requests are tried in two halves"), daemon.log)
        for name in names {
            let report = try daemon.report(name)
            let error = try XCTUnwrap(report["error"] as? [String: Any])
            let message = try XCTUnwrap(error["message"] as? String)
            XCTAssertTrue(message.contains("after 2 attempts") && message.contains("degenerate: the job's answers"), message)
            let metrics = try XCTUnwrap(error["metrics"] as? [String: Any])
            XCTAssertEqual(metrics["requests_in_job"] as? Double, 1, "the last attempt was the request's alone")
            let items = try XCTUnwrap(report["items"] as? [[String: Any]])
            XCTAssertEqual(items.map { $0["state"] as? String }, ["failed", "failed"])
            for item in items {
                let attempts = try XCTUnwrap((item["scores"] as? [String: Any])?["attempts"] as? [[String: Any]], "\(item)")
                XCTAssertEqual(attempts.map { $0["items_trained"] as? Double }, [4, 2], "first with the other request's items, then alone")
            }
        }
        XCTAssertEqual(try daemon.store().head(), 0, "nothing published")
    }
}
