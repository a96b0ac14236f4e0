import Daemon
import Foundation
import Model
import Store
import Unlearning
import XCTest
import Corpus

/// A `lethe daemon` subprocess on a temporary store and spool, serving the quick base model
/// with settings under which its small updates pass the gate (the quick model knows little,
/// so the gate asks for p̄ at most 0.8 × the base version's, and any utility).
final class DaemonHarness {
    let directory: URL
    let base: URL
    var configuration: [String: Any]
    private(set) var process: Process?
    private var logHandle: FileHandle?

    var storeURL: URL { directory.appendingPathComponent("store") }
    var spoolURL: URL { directory.appendingPathComponent("spool") }
    var configURL: URL { directory.appendingPathComponent("lethe.json") }
    var logURL: URL { directory.appendingPathComponent("daemon.log") }
    var spool: Spool { Spool(root: spoolURL) }

    init(overrides: [String: Any] = [:]) throws {
        directory = try temporaryDirectory()
        base = try QuickBaseModel.folder()
        configuration = [
            "store": directory.appendingPathComponent("store").path, "spool": directory.appendingPathComponent("spool").path,
            "base_model": base.path, "corpus": base.appendingPathComponent("corpus").path,
            "rescan_seconds": 0.5, "retain_items": 20, "replay_items": 10,
            "update": ["epochs": 15, "learning_rate": 3e-3],
            "gate": ["max_probability_ratio": 0.8, "max_utility_drop": 1, "utility_items": 5, "forget_sample": 20],
            "escalation": ["enabled": false],
            "policy": ["max_learning_rate": 1e-2],
        ]
        for (key, value) in overrides { configuration[key] = value }
        try writeConfiguration()
        // The daemon's own spool, as it makes it at start, so that requests can be handed in before.
        _ = try SpoolFolders(spool)
    }

    /// Writes the configuration. A `gate` without them gets no per-request utility budget and no
    /// floors on the probability ratio or the fluency: the quick model's small updates are not what
    /// those limits are calibrated on (DaemonGateLimitsTests tests them). An `update` without them
    /// keeps `lethe forget`'s retain term (λ 1 over 8 examples): the quick model's settings above
    /// forget with it, and the daemon's stronger default (λ 3 over 16, for successive requests on
    /// the embedded model) holds its few retain examples too hard for them.
    func writeConfiguration() throws {
        var written = configuration
        let sectionDefaults: [(String, [String: Any])] = [
            ("gate", ["max_utility_drop_per_request": 1.0, "min_probability_ratio": 0.0, "min_fluency": 0.0]),
            ("update", ["retain_weight": 1.0, "retain_batch_size": 8])]
        for (section, defaults) in sectionDefaults {
            guard var values = written[section] as? [String: Any] else { continue }
            for (key, value) in defaults where values[key] == nil { values[key] = value }
            written[section] = values
        }
        try JSONSerialization.data(withJSONObject: written, options: [.sortedKeys]).write(to: configURL)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: The process

    func start(environment: [String: String] = [:]) throws {
        if !FileManager.default.fileExists(atPath: logURL.path) { _ = FileManager.default.createFile(atPath: logURL.path, contents: nil) }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = LetheProcess.executable
        process.arguments = ["daemon", "--config", configURL.path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardError = log
        process.standardOutput = log
        try process.run()
        (self.process, logHandle) = (process, log)
    }

    /// SIGTERM, and the exit status once the process ended.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32? {
        guard let process else { return nil }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        try? logHandle?.close()
        (self.process, logHandle) = (nil, nil)
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    // MARK: Requests

    /// Questions of the quick corpus, by author.
    static func questions(of author: String) throws -> [CorpusItem] {
        try Corpus.load(from: QuickBaseModel.folder().appendingPathComponent("corpus")).items.filter { $0.author == author }
    }

    /// A forget request for the first `count` questions about `author`.
    static func request(id: String, author: String, count: Int = 4, extra: [String: Any] = [:]) throws -> Data {
        let items = try questions(of: author).prefix(count).map { ["prompt": $0.question, "completion": $0.answer] }
        var object: [String: Any] = ["id": id, "submitted_by": "tests", "reason": "end-to-end test", "forget": items]
        for (key, value) in extra { object[key] = value }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// Hands `bytes` in the way `lethe submit` does; returns the spool name.
    @discardableResult
    func submit(_ bytes: Data, extension fileExtension: String = "json") throws -> String {
        try spool.submit(Array(bytes), extension: fileExtension)
    }

    /// The names answered in `folder` (requests, not their reports).
    func answered(_ folder: Spool.Folder) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool.url(folder).path)) ?? [])
            .filter { !$0.hasSuffix(".result.json") && !$0.hasSuffix(".error.json") && !$0.hasPrefix(".") }.sorted()
    }

    /// The report of an answered name, as a JSON object.
    func report(_ name: String) throws -> [String: Any] {
        let folder = try XCTUnwrap(spool.answerFolder(of: name), "\(name) is not answered")
        let data = try Data(contentsOf: spool.reportURL(name, in: folder))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Waits until `names` are all answered (in done/ or failed/); fails the test on timeout.
    func waitForAnswers(_ names: [String], timeout: Double = 240, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let answered = Set(self.answered(.done) + self.answered(.failed))
            if names.allSatisfy(answered.contains) { return }
            if let process, !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTFail("not all of \(names) answered; daemon log:\n\(log.suffix(4000))", file: file, line: line)
    }

    /// Waits until `condition` holds, polling; false on timeout.
    func wait(timeout: Double = 120, interval: Double = 0.1, for condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: interval)
        }
        return false
    }

    var status: DaemonStatus? { DaemonStatus.read(spool: spoolURL) }

    func store() throws -> CheckpointStore { try CheckpointStore(root: storeURL) }

    func lethe(_ arguments: [String]) throws -> LetheProcess.Output { try LetheProcess.run(arguments) }
}
