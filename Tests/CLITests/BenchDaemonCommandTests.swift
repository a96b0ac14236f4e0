import Corpus
import Foundation
import Model
import XCTest

/// `lethe bench daemon --model M --retain-set F --request R`: one request's latency on a model and
/// data of the user's (here the quick model and its corpus's questions, as a user's files).
final class BenchDaemonCommandTests: XCTestCase {
    func testOneRequestOnTheUsersModelAndDataIsTimedWithoutTheSmallRequests() throws {
        let base = try QuickBaseModel.folder(), directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try Corpus.load(from: base.appendingPathComponent("corpus"))
        let retain = corpus.items(in: .retain90).filter { $0.author != "author-001" }.prefix(20)
            .map { "{\"prompt\": \(JSONStringLiteral.quoted($0.question))}" }
        let files = (retain: directory.appendingPathComponent("retain.jsonl"), request: directory.appendingPathComponent("request.json"),
                     config: directory.appendingPathComponent("settings.json"))
        try retain.joined(separator: "\n").write(to: files.retain, atomically: true, encoding: .utf8)
        try DaemonHarness.request(id: "timed", author: "author-001").write(to: files.request)
        // The quick model's settings (DaemonHarness): its small update passes this gate.
        try JSONSerialization.data(withJSONObject: [
            "update": ["epochs": 15, "learning_rate": 3e-3], "policy": ["max_learning_rate": 1e-2], "escalation": ["enabled": false],
            "gate": ["max_probability_ratio": 0.8, "max_utility_drop": 1, "utility_items": 10], "store": "ignored",
        ]).write(to: files.config)

        let result = try LetheProcess.json(["bench", "daemon", "--model", base.path, "--retain-set", files.retain.path,
                                            "--request", files.request.path, "--config", files.config.path, "--json"])
        let single = try XCTUnwrap(result["single"] as? [String: Any], "\(result)")
        XCTAssertEqual(single["author"] as? String, "request.json")
        XCTAssertEqual(single["items"] as? Int, 4)
        XCTAssertEqual(single["status"] as? String, "applied")
        XCTAssertGreaterThan(try XCTUnwrap(single["seconds_to_published"] as? Double), 0)
        XCTAssertNotNil(single["base_utility"] as? Double)
        XCTAssertNil(result["bulk"], "the small requests are corpus questions: left out on the user's data")
        let storage = try XCTUnwrap(result["storage"] as? [String: Any], "\(result)")
        XCTAssertEqual(storage["published_versions"] as? Int, 1, "the one request's version")
        let mean = try XCTUnwrap(storage["mean_bytes_per_version"] as? Int), full = try XCTUnwrap(storage["base_version_bytes"] as? Int)
        XCTAssertGreaterThan(mean, 0)
        XCTAssertGreaterThan(full, 0)
        XCTAssertGreaterThan(try XCTUnwrap(storage["store_bytes"] as? Int), full + mean, "the two objects, the registry and the model files")

        let missing = try LetheProcess.run(["bench", "daemon", "--model", base.path, "--retain-set", files.retain.path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.standardError.contains("--retain-set needs --request"), missing.standardError)
    }
}
