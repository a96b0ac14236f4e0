import Daemon
import Foundation
import Model
import Store
import Unlearning
import XCTest
import Corpus

/// SIGKILL at random moments of ingestion, training, gating and publishing, each followed by a
/// restart: no request is lost or applied twice, every request ends in done/ or failed/
/// exactly once, and `lethe verify` passes after each restart's recovery.
final class DaemonCrashTests: XCTestCase {
    private enum Moment: CaseIterable { case ingestion, training, gating, publishing }

    func testTwentyKillsAtRandomMomentsLoseNothingAndApplyNothingTwice() throws {
        let daemon = try DaemonHarness(overrides: ["max_items_per_job": 8, "update": ["epochs": 8, "learning_rate": 3e-3]])
        let corpus = try Corpus.load(from: daemon.base.appendingPathComponent("corpus"))
        let authors = corpus.authorIDs(in: .retain90) + corpus.authorIDs(in: .forget10)
        var generator = SeededGenerator(seed: 20261129)
        var submitted: [String: Data] = [:]  // spool name → bytes
        var requestCount = 0
        func submitRequests(_ count: Int) throws {
            for _ in 0..<count {
                // Each request: 4 questions no other request asks.
                let author = authors[requestCount % authors.count], slice = requestCount / authors.count
                let items = corpus.items.filter { $0.author == author }.dropFirst(4 * slice).prefix(4)
                let bytes = try JSONSerialization.data(withJSONObject: [
                    "id": "c\(requestCount)", "reason": "crash test",
                    "forget": items.map { ["prompt": $0.question, "completion": $0.answer] },
                ], options: [.sortedKeys])
                submitted[try daemon.submit(bytes)] = bytes
                requestCount += 1
            }
        }

        for trial in 0..<20 {
            let moment = Moment.allCases[trial % Moment.allCases.count]
            if moment == .ingestion {
                try daemon.start()
                try submitRequests(3)
                if trial % 8 == 0, let again = submitted.values.first { submitted[try daemon.submit(again)] = again }  // a duplicate
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.4, using: &generator))
            } else if moment == .publishing {
                // Stopped at one step of publishing in turn (the object's file, then the registry).
                let steps = DurableFile.Step.allCases.map { "object.\($0.rawValue)" } + ["registryCommitted"]
                let step = steps[(trial / Moment.allCases.count) % steps.count]
                try submitRequests(2)
                let stallsBefore = daemon.log.components(separatedBy: "stalled at").count
                try daemon.start(environment: ["LETHE_TEST_STALL_AT": step])
                XCTAssertTrue(daemon.wait(timeout: 120) { daemon.log.components(separatedBy: "stalled at").count > stallsBefore },
                              "trial \(trial): never reached \(step)\n\(daemon.log.suffix(3000))")
            } else {
                try submitRequests(2)
                try daemon.start()
                let phase: JobProgress.Phase = moment == .training ? .training : .gating
                XCTAssertTrue(daemon.wait(timeout: 120, interval: 0.005) { daemon.status?.job?.progress.phase == phase },
                              "trial \(trial): never reached \(phase)\n\(daemon.log.suffix(3000))")
                Thread.sleep(forTimeInterval: Double.random(in: 0...(moment == .training ? 0.5 : 0.1), using: &generator))
            }
            XCTAssertEqual(daemon.stop(signal: SIGKILL), SIGKILL, "trial \(trial)")

            // The restart: recovery runs before READY; verify then, with the daemon paused.
            try daemon.start()
            let pid = daemon.process!.processIdentifier
            XCTAssertTrue(daemon.wait(timeout: 60) { daemon.status.map { $0.pid == pid && $0.state != .starting } ?? false },
                          "trial \(trial): the restart did not come up\n\(daemon.log.suffix(3000))")
            kill(pid, SIGSTOP)
            let verify = try LetheProcess.run(["verify", "--store", daemon.storeURL.path])
            XCTAssertEqual(verify.status, 0, "trial \(trial) after a kill during \(moment): \(verify.standardOutput)")
            try checkInvariants(daemon, submitted: Array(submitted.keys), trial: trial)
            kill(pid, SIGCONT)
            XCTAssertEqual(daemon.stop(signal: SIGKILL), SIGKILL)
        }

        // Let the daemon finish everything: each request answered exactly once.
        try daemon.start()
        daemon.waitForAnswers(Array(submitted.keys), timeout: 600)
        XCTAssertTrue(daemon.wait { daemon.status?.state == .idle && daemon.status?.queued == 0 })
        XCTAssertEqual(daemon.stop(), 0)
        try checkInvariants(daemon, submitted: Array(submitted.keys), trial: 20)
        let answered = daemon.answered(.done) + daemon.answered(.failed)
        XCTAssertEqual(answered.sorted(), submitted.keys.sorted(), "every request answered once, none twice")
        XCTAssertEqual(try SpoolFolders(daemon.spool).active(), [])
        let registry = try daemon.store().registry
        XCTAssertEqual(try registry.requests().count, requestCount, "each distinct request recorded once (the duplicates are answered, not recorded)")
        XCTAssertTrue(try registry.requests().allSatisfy { !$0.status.isOpen })
        for name in answered {
            let report = try daemon.report(name)
            let id = try XCTUnwrap(report["request_id"] as? String)
            guard report["duplicate_of"] == nil else { continue }  // says what the original's status was then
            XCTAssertEqual(report["status"] as? String, try registry.request(id: id)?.status.rawValue, "\(name)'s report agrees with the registry")
        }
        XCTAssertEqual(try LetheProcess.run(["verify", "--store", daemon.storeURL.path]).status, 0)
        let applied = try registry.requests(status: .applied).count, versions = try registry.versions().count
        XCTAssertGreaterThanOrEqual(applied, requestCount / 2, "the kills interrupted jobs; they did not make them fail")
        print("crash trials: \(requestCount) requests, \(applied) applied by \(versions - 1) versions, " +
              "\(daemon.answered(.failed).count) failed, \(submitted.count - requestCount) duplicates answered")
    }

    /// What must hold at any moment: each handed-in file in exactly one place; no request
    /// served by two versions; every applied request served by the version it names.
    private func checkInvariants(_ daemon: DaemonHarness, submitted: [String], trial: Int) throws {
        var places: [String: [String]] = [:]
        for folder in [Spool.Folder.incoming, .active, .done, .failed] {
            for name in daemon.answered(folder) { places[name, default: []].append(folder.rawValue) }
        }
        for name in submitted {
            XCTAssertEqual(places[name]?.count, 1, "trial \(trial): \(name) is in \(places[name] ?? [])")
        }
        XCTAssertEqual(Set(places.keys), Set(submitted), "trial \(trial): no file appears under another name (NAME.2)")
        let registry = try daemon.store().registry
        for request in try registry.requests() {
            let serving = try registry.versions(serving: request.id).map(\.id)
            XCTAssertLessThanOrEqual(serving.count, 1, "trial \(trial): \(request.id) served by \(serving)")
            if request.status == .applied {
                XCTAssertEqual(serving, [request.version].compactMap { $0 }, "trial \(trial): \(request.id)")
            } else {
                XCTAssertEqual(serving, [], "trial \(trial): \(request.id) is \(request.status) but a version served it")
            }
        }
    }
}
