import Daemon
import Foundation
import Store
import Unlearning
import XCTest

/// `lethe daemon` as a subprocess on the quick base model: requests dropped into the spool
/// become versions; history, result files, the registry and the forget set agree.
final class DaemonEndToEndTests: XCTestCase {
    private let authors = ["author-001", "author-002", "author-003"]

    /// Requests for three authors, handed in before the daemon starts so that the first
    /// intake sees all three.
    private func dropThree(_ daemon: DaemonHarness) throws -> [String] {
        try authors.enumerated().map { index, author in try daemon.submit(DaemonHarness.request(id: "r\(index + 1)", author: author)) }
    }

    func testThreeRequestsDroppedAtOnceAreCoalescedIntoOneVersion() throws {
        let daemon = try DaemonHarness()
        let names = try dropThree(daemon)
        try daemon.start()
        daemon.waitForAnswers(names)
        XCTAssertEqual(daemon.answered(.done), names.sorted(), daemon.log)

        let store = try daemon.store()
        XCTAssertEqual(try store.head(), 1)
        XCTAssertEqual(try store.registry.versions().map(\.id), [0, 1], "one job, one version")
        XCTAssertEqual(try store.registry.requests(servedBy: 1).map(\.id), ["r1", "r2", "r3"])
        for (index, name) in names.enumerated() {
            let report = try daemon.report(name)
            XCTAssertEqual(report["request_id"] as? String, "r\(index + 1)")
            XCTAssertEqual(report["status"] as? String, "applied")
            XCTAssertEqual(report["version"] as? Int, 1)
            XCTAssertEqual(report["parent"] as? Int, 0)
            XCTAssertEqual(Set(report["coalesced_with"] as? [String] ?? []), Set(["r1", "r2", "r3"]).subtracting(["r\(index + 1)"]))
            let items = try XCTUnwrap(report["items"] as? [[String: Any]])
            XCTAssertEqual(items.count, 4)
            XCTAssertTrue(items.allSatisfy { $0["state"] as? String == "forgotten" && $0["forgotten_in_version"] as? Int == 1 })
            let scores = try XCTUnwrap(items.first?["scores"] as? [String: Any])
            XCTAssertLessThanOrEqual(try XCTUnwrap(scores["probability_ratio"] as? Double), 0.8)
            let metrics = try XCTUnwrap(report["metrics"] as? [String: Any])
            XCTAssertNotNil(metrics["utility"] as? Double)
            XCTAssertEqual(metrics["attempts"] as? Int, 1)
            XCTAssertEqual(try store.registry.request(id: "r\(index + 1)")?.status, .applied)
        }
        let forgetSet = try store.registry.forgetItems()
        XCTAssertEqual(forgetSet.count, 12)
        XCTAssertTrue(forgetSet.allSatisfy { $0.state == .forgotten && $0.forgottenInVersion == 1 })

        let history = try LetheProcess.json(["history", "--store", daemon.storeURL.path, "--json"])
        XCTAssertEqual(history["head"] as? Int, 1)
        XCTAssertEqual((history["versions"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [1, 0])
        let status = try LetheProcess.json(["status", "--config", daemon.configURL.path, "--json"])
        XCTAssertEqual(status["running"] as? Bool, true)
        XCTAssertEqual(status["head"] as? Int, 1)
        XCTAssertEqual(status["queued"] as? [String], [])
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(daemon.status?.state, .stopped)
        XCTAssertEqual(try LetheProcess.run(["verify", "--store", daemon.storeURL.path]).status, 0)
    }

    func testWithOneRequestPerJobEachGetsItsOwnVersionAndTheForgetSetAccumulates() throws {
        // Held answers off: the quick model forgets an item by little (p̄ ratio 0.8), so an answer
        // held is nearly the one to forget, and holding it un-forgets the item (the next test).
        let daemon = try DaemonHarness(overrides: ["max_items_per_job": 4, "held_answers": 0])
        let names = try dropThree(daemon)
        try daemon.start()
        daemon.waitForAnswers(names)
        let store = try daemon.store()
        let versions = try store.registry.versions()
        XCTAssertEqual(versions.map(\.id), [0, 1, 2, 3])
        XCTAssertEqual(versions.map(\.parent), [nil, 0, 1, 2], "each job starts from the version before")
        for (index, name) in names.enumerated() {
            let version = index + 1
            XCTAssertEqual(try daemon.report(name)["version"] as? Int, version)
            XCTAssertEqual(try store.registry.requests(servedBy: version).map(\.id), ["r\(version)"])
            XCTAssertTrue(try store.registry.forgetItems(request: "r\(version)").allSatisfy { $0.forgottenInVersion == version })
        }
        // The later jobs replayed the earlier requests' items and the gate held them to it.
        XCTAssertEqual(try store.registry.version(3)?.metrics["items_scored"]?.intValue, 12)
        XCTAssertEqual(try store.registry.forgetItems(state: .forgotten).count, 12)
        daemon.stop()
    }

    func testEachItemKeepsTheAnswerOfTheVersionThatForgotItAndTheNextJobHoldsIt() throws {
        let daemon = try DaemonHarness(overrides: ["max_items_per_job": 4, "held_answers": 400])
        let names = try authors.prefix(2).enumerated().map { index, author in
            try daemon.submit(DaemonHarness.request(id: "r\(index + 1)", author: author))
        }
        try daemon.start()
        daemon.waitForAnswers(names)
        let store = try daemon.store()
        XCTAssertEqual(try store.registry.versions().map(\.id), [0, 1, 2], daemon.log)
        // The harness's gate takes any fluency, so every answer of a version that forgot an item is held.
        for item in try store.registry.forgetItems(request: "r2") where item.state == .forgotten {
            XCTAssertEqual(item.latestScores?["held_answer"], item.latestScores?["generated"], "version 2's own answer, \(item.id)")
        }
        let r1 = try store.registry.forgetItems(request: "r1")
        XCTAssertTrue(r1.allSatisfy { $0.latestScores?["held_answer"]?.stringValue?.isEmpty == false }, "\(r1.map(\.latestScores))")
        XCTAssertEqual(try store.registry.version(1)?.metrics["held_answers"]?.intValue, 0)
        XCTAssertEqual(try store.registry.version(2)?.metrics["held_answers"]?.intValue, 4, "r1's four answers held")
        daemon.stop()
    }

    func testSubmitWaitFollowsTheRequestToItsResult() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let file = daemon.directory.appendingPathComponent("request.json")
        try DaemonHarness.request(id: "waited", author: "author-004").write(to: file)
        let output = try LetheProcess.run(["submit", file.path, "--config", daemon.configURL.path, "--wait"])
        XCTAssertEqual(output.status, 0, output.standardError)
        XCTAssertTrue(output.standardOutput.contains("applied"), output.standardOutput)
        XCTAssertTrue(output.standardOutput.contains("4 of 4 forgotten"), output.standardOutput)
        XCTAssertEqual(try daemon.store().registry.request(id: "waited")?.version, 1)

        // The same request handed in again while the first is open: --wait follows the first.
        let again = daemon.directory.appendingPathComponent("again.json")
        try DaemonHarness.request(id: "twice", author: "author-005").write(to: again)
        try daemon.submit(Data(contentsOf: again))
        let second = try LetheProcess.run(["submit", again.path, "--config", daemon.configURL.path, "--wait"])
        XCTAssertEqual(second.status, 0, second.standardError)
        XCTAssertTrue(second.standardOutput.contains("applied"), second.standardOutput + second.standardError)
        XCTAssertTrue(second.standardError.contains("the same request as twice, which is still open"), second.standardError)
        XCTAssertEqual(try daemon.store().registry.versions(serving: "twice").count, 1, "applied once")
        daemon.stop()
    }

    func testAnItemTheFirstAttemptDoesNotForgetIsForgottenByTheLaddersStrongerStep() throws {
        // The job as planned is far too weak (one epoch at a tiny rate); the ladder's stronger step suffices.
        let daemon = try DaemonHarness(overrides: [
            "update": ["epochs": 1, "learning_rate": 1e-7],
            "escalation": ["epochs": 12, "learning_rate": 3e-3],
        ])
        let name = try daemon.submit(DaemonHarness.request(id: "slow", author: "author-004", count: 2))
        try daemon.start()
        daemon.waitForAnswers([name])
        XCTAssertEqual(daemon.answered(.done), [name], daemon.log)
        let report = try daemon.report(name)
        XCTAssertEqual(report["version"] as? Int, 1, "one version: the weak attempt was not published")
        let metrics = try XCTUnwrap(report["metrics"] as? [String: Any])
        XCTAssertEqual(metrics["attempts"] as? Int, 2, "alone is skipped: the job held only this request's items")
        XCTAssertEqual(metrics["escalation_step"] as? String, "stronger")
        XCTAssertEqual((report["hyperparameters"] as? [String: Any])?["epochs"] as? Int, 10, "12 asked, policy.max_epochs allows 10")
        for item in try daemon.store().registry.forgetItems(request: "slow") {
            XCTAssertEqual(item.state, .forgotten)
            let attempts = try XCTUnwrap(item.latestScores?["attempts"]?.arrayValue?.compactMap(\.objectValue))
            XCTAssertEqual(attempts.map { $0["step"]?.stringValue }, ["job", "stronger"])
            XCTAssertEqual(attempts.map { $0["forgotten"] }, [.bool(false), .bool(true)])
            XCTAssertEqual(attempts.map { $0["epochs"]?.intValue }, [1, 10])
        }
        daemon.stop()
    }

    func testARequestTheWholeLadderCannotForgetFailsPerItemItsItemsAreFailedAndALaterRequestForgetsThem() throws {
        // No version can meet a probability ratio of 1e-9: every step is tried, then the request fails.
        let daemon = try DaemonHarness(overrides: [
            "gate": ["max_probability_ratio": 1e-9, "max_utility_drop": 1, "utility_items": 5],
            "escalation": ["epochs": 20, "learning_rate": 5e-3],
            "policy": ["allowed_methods": ["dipo", "npo"], "max_epochs": 20, "max_learning_rate": 1e-2],
        ])
        let name = try daemon.submit(DaemonHarness.request(id: "hard", author: "author-005", count: 2))
        try daemon.start()
        daemon.waitForAnswers([name])
        XCTAssertEqual(daemon.answered(.failed), [name])
        let report = try daemon.report(name)
        let error = try XCTUnwrap(report["error"] as? [String: Any])
        XCTAssertTrue((error["message"] as? String ?? "").contains("does not forget 2 items after 3 attempts (job, stronger, npo)"), "\(error)")
        XCTAssertEqual((error["unforgotten"] as? [String])?.count, 2)
        let items = try XCTUnwrap(report["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["state"] as? String }, ["failed", "failed"], "no longer pending")
        for item in items {
            let attempts = try XCTUnwrap((item["scores"] as? [String: Any])?["attempts"] as? [[String: Any]])
            XCTAssertEqual(attempts.map { $0["method"] as? String }, ["dipo", "dipo", "npo"])
            XCTAssertEqual(attempts.map { $0["epochs"] as? Int }, [15, 20, 20])
            XCTAssertEqual(attempts.map { $0["learning_rate"] as? Double }, [3e-3, 5e-3, 5e-3])
            XCTAssertEqual(attempts.map { $0["items_trained"] as? Int }, [2, 2, 2])
            XCTAssertTrue(attempts.allSatisfy { ($0["probability_ratio"] as? Double ?? 0) > 1e-9 && $0["rouge_l_recall"] is Double
                && $0["forgotten"] as? Bool == false }, "\(attempts)")
        }
        let store = try daemon.store()
        XCTAssertEqual(try store.head(), 0, "nothing published")
        for item in try store.registry.forgetItems(request: "hard") {
            // The recall beyond the question is the user's question's, not the conversation format's text around it.
            let scores = try XCTUnwrap(item.latestScores)
            let generated = try XCTUnwrap(scores["generated"]?.stringValue)
            XCTAssertEqual(try XCTUnwrap(scores["recall_beyond_prompt"]?.doubleValue),
                           RougeL.recall(candidate: generated, reference: try XCTUnwrap(item.completion), beyond: try XCTUnwrap(item.prompt)),
                           accuracy: 1e-12)
        }
        XCTAssertEqual(try store.registry.forgetItems(state: .pending), [], "nothing waits forever")
        let listed = try LetheProcess.json(["forget-set", "--store", daemon.storeURL.path, "--state", "failed", "--json"])
        XCTAssertEqual((listed["items"] as? [[String: Any]])?.count, 2)

        // With a gate a version can pass, the same content asked again is forgotten.
        daemon.configuration["gate"] = ["max_probability_ratio": 0.8, "max_utility_drop": 1, "utility_items": 5]
        try daemon.writeConfiguration()
        kill(try XCTUnwrap(daemon.process).processIdentifier, SIGHUP)
        let again = try daemon.submit(DaemonHarness.request(id: "hard-again", author: "author-005", count: 2))
        daemon.waitForAnswers([again])
        XCTAssertEqual(try daemon.report(again)["status"] as? String, "applied", daemon.log)
        XCTAssertTrue(try store.registry.forgetItems(request: "hard").allSatisfy { $0.state == .forgotten && $0.forgottenInVersion == 1 })
        XCTAssertEqual(try store.verify().isHealthy, true)
        daemon.stop()
    }

    func testSIGTERMMidTrainingStopsWithinFiveSecondsAndTheRequestRunsAfterARestart() throws {
        let daemon = try DaemonHarness(overrides: ["update": ["epochs": 1000, "learning_rate": 3e-3],
                                                   "policy": ["max_epochs": 1000, "max_learning_rate": 1e-2]])
        let name = try daemon.submit(DaemonHarness.request(id: "long", author: "author-006"))
        try daemon.start()
        XCTAssertTrue(daemon.wait { daemon.status?.job?.progress.phase == .training && (daemon.status?.job?.progress.step ?? 0) > 2 },
                      daemon.log)
        let started = Date()
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(try daemon.store().registry.request(id: "long")?.status, .queued, "back in the queue")
        XCTAssertEqual(try SpoolFolders(daemon.spool).active(), [name])
        XCTAssertTrue(daemon.log.contains("job interrupted by the shutdown"), daemon.log)

        daemon.configuration["update"] = ["epochs": 15, "learning_rate": 3e-3]
        try daemon.writeConfiguration()
        try daemon.start()
        daemon.waitForAnswers([name])
        XCTAssertEqual(try daemon.report(name)["status"] as? String, "applied")
        daemon.stop()
    }

    func testAWithdrawalWhileItsRequestTrainsEndsItAndTheDaemonKeepsServing() throws {
        let daemon = try DaemonHarness(overrides: ["update": ["epochs": 150, "learning_rate": 3e-3],
                                                   "policy": ["max_epochs": 1000, "max_learning_rate": 1e-2]])
        let name = try daemon.submit(DaemonHarness.request(id: "regret", author: "author-008"))
        try daemon.start()
        XCTAssertTrue(daemon.wait { daemon.status?.job?.requests == ["regret"] && (daemon.status?.job?.progress.step ?? 0) > 2 }, daemon.log)
        let withdrawal = try daemon.submit(JSONSerialization.data(withJSONObject: ["id": "w", "withdraw": ["regret"]]))
        daemon.waitForAnswers([withdrawal, name])
        XCTAssertEqual(try daemon.report(name)["status"] as? String, "withdrawn")
        let store = try daemon.store()
        XCTAssertEqual(try store.registry.request(id: "regret")?.status, .withdrawn)
        XCTAssertTrue(try store.registry.forgetItems(request: "regret").allSatisfy { $0.state == .withdrawn })
        XCTAssertEqual(try store.head(), 0, "nothing published for a withdrawn request")
        XCTAssertTrue(daemon.log.contains("withdrawn while it ran"), daemon.log)

        daemon.configuration["update"] = ["epochs": 15, "learning_rate": 3e-3]
        try daemon.writeConfiguration()
        kill(daemon.process!.processIdentifier, SIGHUP)
        let next = try daemon.submit(DaemonHarness.request(id: "next", author: "author-009"))
        daemon.waitForAnswers([next])
        XCTAssertEqual(try daemon.report(next)["status"] as? String, "applied", "still serving")
        daemon.stop()
    }

    func testASecondDaemonOnTheSameStoreRefusesToStart() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        XCTAssertTrue(daemon.wait { daemon.status?.state == .idle })
        let second = try LetheProcess.run(["daemon", "--config", daemon.configURL.path])
        XCTAssertNotEqual(second.status, 0)
        XCTAssertTrue(second.standardError.contains("another lethe daemon serves the store"), second.standardError)
        daemon.stop()
    }

    func testReadyAndStatusReachTheNotifySocket() throws {
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        let listener = try NotifyListener(path: socketPath)
        let daemon = try DaemonHarness()
        let name = try daemon.submit(DaemonHarness.request(id: "notified", author: "author-007"))
        try daemon.start(environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "2000000"])
        daemon.waitForAnswers([name])
        daemon.stop()
        Thread.sleep(forTimeInterval: 0.3)
        let messages = listener.drain()
        listener.close()
        XCTAssertTrue(messages.contains { $0.contains("READY=1") && $0.contains("STATUS=idle") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("STATUS=request notified: training step") }, "\(messages)")
        XCTAssertTrue(messages.contains("WATCHDOG=1"), "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("STOPPING=1") }, "\(messages)")
    }
}

/// A datagram socket standing in for systemd's notify socket; a thread collects what arrives.
final class NotifyListener: @unchecked Sendable {
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [String] = []
    let path: String

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { return }  // shut down
                guard count > 0 else { continue }
                let message = String(decoding: buffer.prefix(count), as: UTF8.self)
                lock.withLock { received.append(message) }
            }
        }
    }

    /// Every datagram received so far.
    func drain() -> [String] {
        lock.withLock { received }
    }

    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        unlink(path)
    }
}
