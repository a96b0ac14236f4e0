import ArgumentParser
import Daemon
import Foundation
import Store

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's state, the queue, the running job and HEAD.",
        discussion: "Reads SPOOL/status.json (which the daemon keeps current) and the store's registry; works whether or not the daemon runs."
    )

    @Option(help: "The daemon's configuration file; its store and spool are shown.")
    var config: String?
    @Option(help: "The spool folder (default: the configuration's, else ./spool).")
    var spool: String?
    @Option(help: "The store's root folder (default: the configuration's, else ./Checkpoints).")
    var store: String?
    @Flag(help: "Follow the running job with a live progress bar until it ends.")
    var follow = false
    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Output: Encodable {
        let running: Bool
        let daemon: DaemonStatus?
        let head: Int?
        let queued: [String]
        let pendingItems: Int
        /// HEAD's model utility against the base version's and the budget spent; nil without gate figures.
        let utility: UtilityDrift?
    }

    func run() throws {
        let configuration = try daemonConfiguration(config)
        let spoolRoot = URL(fileURLWithPath: spool ?? configuration.spool)
        let registry = try CheckpointStore(root: URL(fileURLWithPath: store ?? configuration.store)).registry
        let daemon = DaemonStatus.read(spool: spoolRoot)
        let running = daemon?.isServing ?? false
        let queued = try registry.requests(status: .queued).map(\.id) + registry.requests(status: .running).map(\.id)
        let pending = try registry.forgetItems(state: .pending).count
        let head = try registry.head()
        let drift = try head.flatMap { try registry.version($0) }.flatMap { UtilityDrift($0, gate: configuration.gate) }
        if json {
            return print(try encodeJSON(Output(running: running, daemon: daemon, head: head, queued: queued, pendingItems: pending,
                                               utility: drift)))
        }
        let rows: [(String, String)] = [
            ("daemon", daemon.map { running ? "running (pid \($0.pid)): \($0.line)" : "not running (last seen \(relativeTime($0.updatedAt)): \($0.state.rawValue))" }
                ?? "not running (no \(spoolRoot.path)/\(DaemonStatus.fileName))"),
            ("HEAD", head.map { id in "\(id)" + ((try? registry.version(id)).flatMap { $0.map { " (\($0.kind.rawValue), \(relativeTime($0.createdAt)))" } } ?? "") } ?? "-"),
            ("queue", queued.isEmpty ? "empty" : "\(queued.count) open: \(queued.prefix(5).joined(separator: ", "))\(queued.count > 5 ? ", …" : "")"),
            ("forget set", "\(pending) pending items"),
            ("utility", drift?.line ?? "no gate figures at HEAD"),
        ]
        printTable(rows)
        if follow && running { JobFollower(spool: spoolRoot).follow(waitForJob: false) { _ in false } }
    }
}

/// Draws the daemon's running job as a progress bar, from SPOOL/status.json.
struct JobFollower {
    let spool: URL

    /// Polls until `done` says so or the daemon goes idle (or away); returns the last status read.
    /// `waitForJob`: an idle daemon is waited for until it starts a job (`submit --wait`), or not (`status --follow`).
    @discardableResult
    func follow(interval: Double = 0.2, waitForJob: Bool = true, until done: (DaemonStatus?) -> Bool) -> DaemonStatus? {
        let bar = ProgressBar(logInterval: 10)
        var drew = false, sawJob = false, lastLine = ""
        defer { if drew { bar.finish() } }
        while true {
            let status = DaemonStatus.read(spool: spool)
            if done(status) { return status }
            if let status, let job = status.job, status.state == .working {
                sawJob = true
                let progress = job.progress
                let fraction = progress.phase == .training && progress.totalSteps > 0 ? Double(progress.step) / Double(progress.totalSteps)
                    : progress.phase == .gating || progress.phase == .publishing ? 1 : 0
                if status.line != lastLine || fraction < 1 { bar.update(fraction: fraction, detail: status.line) }
                lastLine = status.line
                drew = true
            } else if sawJob || !waitForJob || !(status?.isServing ?? false) {
                return status
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
