import Daemon
import Foundation
import Store
import Unlearning
import XCTest
import Corpus
import Model

/// The daemon on the user's own data: a `retain_set` and a `utility_set` of JSONL files and no
/// corpus. Requests are applied and gated on them, the utility set's references are recorded
/// with the base version, and rollback and the forget set work as with the corpus.
final class DaemonUserDataTests: XCTestCase {
    /// Writes the quick corpus's questions as the user's sets: the retain set has question/answer
    /// lines of the retain authors, questions alone and a passage; the utility set has questions alone (their
    /// references are the base version's answers), question/answer lines and a passage.
    private func userDataDaemon() throws -> (DaemonHarness, utilityCount: Int) {
        let daemon = try DaemonHarness()
        let corpus = try Corpus.load(from: daemon.base.appendingPathComponent("corpus"))
        let asked: Set<String> = ["author-001", "author-002"]
        let kept = corpus.items(in: .retain90).filter { !asked.contains($0.author ?? "") }
        func line(_ object: [String: String]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        var retain: [String] = try kept.prefix(30).map { try line(["prompt": $0.question, "completion": $0.answer]) }
        retain.append(try line(["text": kept[30].answer + " " + kept[31].answer]))
        retain += try kept[41..<44].map { try line(["prompt": $0.question]) }
        var utility: [String] = try kept[32..<36].map { try line(["prompt": $0.question]) }
        utility += try kept[36..<39].map { try line(["prompt": $0.question, "completion": $0.answer]) }
        utility.append(try line(["text": kept[40].answer]))
        let retainURL = daemon.directory.appendingPathComponent("retain.jsonl")
        let utilityURL = daemon.directory.appendingPathComponent("utility.jsonl")
        try (retain.joined(separator: "\n") + "\n").write(to: retainURL, atomically: true, encoding: .utf8)
        try utility.joined(separator: "\n").write(to: utilityURL, atomically: true, encoding: .utf8)
        daemon.configuration.removeValue(forKey: "corpus")
        daemon.configuration["retain_set"] = retainURL.path
        daemon.configuration["utility_set"] = [utilityURL.path]
        daemon.configuration["gate"] = ["max_probability_ratio": 0.8, "max_utility_drop": 1, "utility_items": 100, "forget_sample": 20]
        daemon.configuration["max_items_per_job"] = 4
        daemon.configuration["retain_items"] = 100
        try daemon.writeConfiguration()
        return (daemon, utility.count)
    }

    func testRequestsAreAppliedAndGatedOnTheUsersSetsAndRollbackReappliesThem() throws {
        let (daemon, utilityCount) = try userDataDaemon()
        let names = try [("r1", "author-001"), ("r2", "author-002")].map { try daemon.submit(DaemonHarness.request(id: $0.0, author: $0.1)) }
        try daemon.start()
        daemon.waitForAnswers(names)
        XCTAssertEqual(daemon.answered(.done), names.sorted(), daemon.log)
        let store = try daemon.store()
        XCTAssertEqual(try store.head(), 2)

        // The references were computed once, with the base version, for every utility item.
        // The retain set's 34 items and the utility set's have references too: the retain set's prompts alone are answered by the base version.
        let references = try store.registry.utilityReferences(baseVersion: 0)
        XCTAssertEqual(references.count, utilityCount + 34)
        XCTAssertEqual(references.values.filter { $0.baseRecall == nil }.count, 9,
                       "the 2 passages and the base version's 7 own answers are measured by p̄ alone")
        XCTAssertTrue(references.values.allSatisfy { (0...1).contains($0.baseProbability) && !$0.reference.isEmpty })

        for name in names {
            let report = try daemon.report(name)
            XCTAssertEqual(report["status"] as? String, "applied")
            let metrics = try XCTUnwrap(report["metrics"] as? [String: Any])
            let utility = try XCTUnwrap(metrics["utility"] as? Double), base = try XCTUnwrap(metrics["base_utility"] as? Double)
            XCTAssertGreaterThan(base, 0, "the base version recalls the given answers in part")
            XCTAssertLessThanOrEqual(base, 1)
            XCTAssertTrue((0...1).contains(utility), "\(metrics)")
            XCTAssertEqual(metrics["scope"] as? String, "all", "a small model trains every parameter")
            let figures = try XCTUnwrap(metrics["utility_figures"] as? [String: Double])
            XCTAssertEqual(Set(figures.keys), ["rouge_l_recall", "probability_ratio"])
            let harmonicMean = 2 / (1 / figures["rouge_l_recall"]! + 1 / figures["probability_ratio"]!)
            XCTAssertEqual(utility, harmonicMean, accuracy: 1e-9, "utility is the harmonic mean of its figures")
            let items = try XCTUnwrap(report["items"] as? [[String: Any]])
            XCTAssertTrue(items.allSatisfy { $0["state"] as? String == "forgotten" }, "\(items)")
        }
        XCTAssertEqual(try store.registry.version(2)?.metrics["base_utility"]?.doubleValue,
                       try store.registry.version(1)?.metrics["base_utility"]?.doubleValue, "the base version is measured once, the same way")

        // A rollback past r2 re-opens its items; the daemon applies them again on the same data.
        let rollback = try LetheProcess.run(["rollback", "1", "--reason", "undo r2", "--store", daemon.storeURL.path])
        XCTAssertEqual(rollback.status, 0, rollback.standardError)
        XCTAssertTrue(daemon.wait(timeout: 120) { (try? store.head()) == 3 }, daemon.log)
        XCTAssertTrue(daemon.wait { daemon.status?.state == .idle }, daemon.log)
        XCTAssertEqual(try store.registry.version(3)?.parent, 1)
        XCTAssertTrue(try store.registry.forgetItems(request: "r2").allSatisfy { $0.state == .forgotten && $0.forgottenInVersion == 3 })
        XCTAssertTrue(try store.registry.forgetItems(request: "r1").allSatisfy { $0.state == .forgotten && $0.forgottenInVersion == 1 })
        XCTAssertEqual(try store.registry.utilityReferences(baseVersion: 0).count, utilityCount + 34, "no reference computed twice")
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try LetheProcess.run(["verify", "--store", daemon.storeURL.path]).status, 0)
    }

    func testAUtilitySetTheForgetSetEmptiesAnswersWithoutNaNAndThenStopsTheNextStartNamingTheKey() throws {
        let (daemon, _) = try userDataDaemon()
        let questions = try DaemonHarness.questions(of: "author-001").prefix(4)
        let utility = daemon.directory.appendingPathComponent("utility.jsonl")
        try questions.map { "{\"prompt\": \(JSONStringLiteral.quoted($0.question))}" }.joined(separator: "\n")
            .write(to: utility, atomically: true, encoding: .utf8)
        let name = try daemon.submit(DaemonHarness.request(id: "r1", author: "author-001"))
        try daemon.start()
        daemon.waitForAnswers([name])
        let report = try daemon.report(name)
        let metrics = try XCTUnwrap(report["metrics"] as? [String: Any], "\(report)")
        XCTAssertEqual(metrics["utility"] as? Double, 0, "nothing is left to measure")
        XCTAssertEqual((metrics["utility_figures"] as? [String: Double])?["probability_ratio"], 0, "0, not NaN")
        XCTAssertEqual(daemon.stop(), 0)

        try daemon.start()
        XCTAssertTrue(daemon.wait { daemon.process?.isRunning == false }, daemon.log)
        XCTAssertNotEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.log.contains("the configuration key utility_set measures no utility"), daemon.log)
    }

    func testABadLineOfTheRetainSetStopsTheStartNamingTheFileTheLineAndTheKey() throws {
        let (daemon, _) = try userDataDaemon()
        let retain = daemon.directory.appendingPathComponent("retain.jsonl")
        try "{\"prompt\": \"Who?\", \"completion\": \"Them.\"}\n{\"prompt\": \"Who?\", \"text\": \"Them.\"}\n".write(to: retain, atomically: true, encoding: .utf8)
        try daemon.start()
        XCTAssertTrue(daemon.wait { daemon.process?.isRunning == false }, daemon.log)
        XCTAssertNotEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.log.contains("\(retain.path) (configuration key retain_set) cannot be read: line 2 has \"text\" and also \"prompt\" or \"completion\""), daemon.log)
    }
}
