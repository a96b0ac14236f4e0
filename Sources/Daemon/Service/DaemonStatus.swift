import Foundation
import Model

/// What the daemon is doing, kept in `SPOOL/status.json` (replaced atomically, readable by the
/// spool's group) for `lethe status` and `lethe submit --wait`.
public struct DaemonStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case starting, idle, working, stopping, stopped
    }

    public struct Job: Codable, Sendable, Equatable {
        public var requests: [String]
        /// Items the job must leave forgotten (the requests' and re-opened ones).
        public var items: Int
        public var parent: Int
        public var startedAt: Date
        public var progress: JobProgress
    }

    public var pid: Int32
    public var state: State
    public var startedAt: Date
    public var updatedAt: Date
    public var head: Int?
    public var queued: Int
    public var job: Job?
    /// Jobs wait for a transient fault to pass (a full disk, an I/O error, a busy registry).
    public var postponement: Postponement?

    public struct Postponement: Codable, Sendable, Equatable {
        /// The fault, in words (the operation and the system's reason).
        public var reason: String
        public var since: Date
        public var retryAt: Date
        /// Tries that met the fault in a row.
        public var attempts: Int
    }

    public static let fileName = "status.json"

    public init(pid: Int32 = getpid(), state: State, startedAt: Date, head: Int?, queued: Int, job: Job? = nil) {
        (self.pid, self.state, self.startedAt, updatedAt, self.head, self.queued, self.job) = (pid, state, startedAt, Date(), head, queued, job)
    }

    /// One line: systemd's STATUS=, the log, `lethe status`.
    public var line: String {
        if let postponement, state != .working {
            let wait = max(0, postponement.retryAt.timeIntervalSinceNow)
            return "\(state.rawValue); HEAD \(head.map(String.init) ?? "-"); \(queued) queued; jobs postponed "
                + String(format: "(retry in %.0f s, try %d): ", wait, postponement.attempts) + postponement.reason
        }
        guard let job, state == .working else {
            return "\(state.rawValue); HEAD \(head.map(String.init) ?? "-"); \(queued) queued"
        }
        let who = job.requests.isEmpty ? "re-applying \(job.items) pending items"
            : "request \(job.requests[0])\(job.requests.count > 1 ? " and \(job.requests.count - 1) more" : "")"
        let progress = job.progress
        let attempt = progress.attempt > 1 ? " (escalation, attempt \(progress.attempt))" : ""
        switch progress.phase {
        case .training:
            let eta = progress.secondsRemaining.map { String(format: ", ETA %.0f s", $0) } ?? ""
            return "\(who): training step \(progress.step) of \(progress.totalSteps)\(eta)\(attempt)"
        case .preparing, .gating, .publishing:
            return "\(who): \(progress.phase.rawValue)\(attempt)"
        }
    }

    /// The bytes of `status.json` (the daemon writes them through `SpoolFolders.writeStatus`).
    public func encoded() throws -> [UInt8] {
        Array(try LetheJSON.encoder().encode(self))
    }

    /// The status the daemon last wrote, nil when there is none.
    public static func read(spool: URL) -> DaemonStatus? {
        guard let data = FileManager.default.contents(atPath: spool.appendingPathComponent(fileName).path) else { return nil }
        return try? LetheJSON.decoder().decode(DaemonStatus.self, from: data)
    }

    /// Whether the process that wrote it still runs (a daemon killed with -9 leaves its last status).
    public var isProcessAlive: Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// A daemon that wrote this status still serves the spool.
    public var isServing: Bool { isProcessAlive && state != .stopped }
}
