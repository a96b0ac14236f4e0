import ArgumentParser
import Daemon
import Foundation
import Model
import Store
import Corpus

/// A `lethe daemon` child process on a fresh store in a temporary folder, for the benches that
/// go through the real daemon path (`lethe bench daemon`, `lethe bench sustain`): the bench
/// writes its configuration, starts this executable's `daemon --config`, waits until it serves,
/// and hands requests into its spool the way `lethe submit` does.
final class DaemonUnderBench {
    let directory: URL
    let spool: Spool
    let store: CheckpointStore
    private let process: Process

    var storeRoot: URL { directory.appendingPathComponent("store") }

    /// Starts the daemon in a new folder `lethe-<name>-<pid>` of the temporary directory with
    /// `configuration` (a daemon configuration; its store and spool are set here) and returns
    /// once it serves. `stop()` ends it and removes the folder.
    init(name: String, configuration: [String: Any]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        spool = Spool(root: directory.appendingPathComponent("spool"))
        var configuration = configuration
        configuration["store"] = directory.appendingPathComponent("store").path
        configuration["spool"] = spool.root.path
        let configFile = directory.appendingPathComponent("lethe.json")
        process = Process()
        do {
            try JSONSerialization.data(withJSONObject: configuration).write(to: configFile)
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["daemon", "--config", configFile.path, "--log-level", "error"]
            try process.run()
            store = try Self.waitUntilServing(spool: spool, store: directory.appendingPathComponent("store"), daemon: process)
        } catch {
            Self.stop(process, removing: directory)
            throw error
        }
    }

    /// SIGTERM to the daemon, its exit awaited, and the temporary folder removed.
    func stop() { Self.stop(process, removing: directory) }

    private static func stop(_ daemon: Process, removing directory: URL) {
        if daemon.isRunning {
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    var isRunning: Bool { process.isRunning }

    /// "exited with status 1", "was killed by signal 9": how the daemon ended, for errors.
    var ending: String { Self.describeExit(of: process) }

    private static func describeExit(of daemon: Process) -> String {
        daemon.terminationReason == .uncaughtSignal ? "was killed by signal \(daemon.terminationStatus)"
            : "exited with status \(daemon.terminationStatus)"
    }

    /// Hands `bytes` in as a request (`lethe submit`); its name in the spool.
    func submit(_ bytes: [UInt8]) throws -> String { try spool.submit(bytes) }

    /// Polls the spool every 10 ms until `name` is answered; its report.
    func waitForAnswer(_ name: String) throws -> [String: JSONValue] {
        while true {
            if let folder = spool.answerFolder(of: name) {
                return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: spool.reportURL(name, in: folder))).objectValue ?? [:]
            }
            guard process.isRunning else { throw ValidationError("the daemon \(ending) before answering") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Waits for the daemon's first status (the store created, recovery done) and opens its store.
    private static func waitUntilServing(spool: Spool, store: URL, daemon: Process) throws -> CheckpointStore {
        while DaemonStatus.read(spool: spool.root).map({ $0.state == .starting }) ?? true {
            guard daemon.isRunning else { throw ValidationError("the daemon \(describeExit(of: daemon)) before serving") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try CheckpointStore(root: store)
    }

    /// The keys of the JSON object in `file` (`--config`), without those the bench sets itself
    /// (the store, the spool, the data); none without a file.
    static func configuration(from file: String?) throws -> [String: Any] {
        guard let file else { return [:] }
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any] else {
            throw ValidationError("--config \(file) must hold a JSON object (a daemon configuration)")
        }
        for key in ["store", "spool", "corpus", "retain_set", "utility_set"] { object.removeValue(forKey: key) }
        return object
    }

    /// A request that forgets every question about `author` (prompt the question, completion
    /// the answer), and how many items it holds.
    static func authorRequest(_ author: String, of corpus: Corpus, reason: String) throws -> (bytes: [UInt8], items: Int) {
        let questions = corpus.items.filter { $0.author == author }
        guard !questions.isEmpty else { throw ValidationError("the corpus has no question about \(author)") }
        let bytes = try JSONSerialization.data(withJSONObject: [
            "id": "bench-\(author)", "reason": reason,
            "forget": questions.map { ["prompt": $0.question, "completion": $0.answer] },
        ])
        return (Array(bytes), questions.count)
    }
}

/// What an answer's report says of its request: the status, the items the daemon forgot, the
/// version it published and the gate's metrics (of the version, or of the last attempt of a
/// failed request).
struct AnsweredRequest {
    let report: [String: JSONValue]

    var status: String { report["status"]?.stringValue ?? "?" }
    var forgottenItems: Int { report["items"]?.arrayValue?.filter { $0.objectValue?["state"]?.stringValue == "forgotten" }.count ?? 0 }
    var version: Int? { report["version"]?.intValue }
    var metrics: [String: JSONValue] { report["metrics"]?.objectValue ?? report["error"]?.objectValue?["metrics"]?.objectValue ?? [:] }
    /// A failed request's error message.
    var errorMessage: String? { report["error"]?.objectValue?["message"]?.stringValue }
}

/// One line of progress on a terminal's standard error, redrawn when it changes; nothing when
/// `quiet` (JSON output) or when standard error is not a terminal.
func redrawnProgress(_ text: String, quiet: Bool) {
    guard !quiet, isatty(STDERR_FILENO) == 1 else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
}
