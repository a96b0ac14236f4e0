import Foundation

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

    public static let fileName = "status.json"

    public init(pid: Int32 = getpid(), state: State, startedAt: Date, head: Int?, queued: Int, job: Job? = nil) {
        (self.pid, self.state, self.startedAt, updatedAt, self.head, self.queued, self.job) = (pid, state, startedAt, Date(), head, queued, job)
    }

    /// One line: systemd's STATUS=, the log, `lethe status`.
    public var line: String {
        guard let job, state == .working else {
            return "\(state.rawValue); HEAD \(head.map(String.init) ?? "-"); \(queued) queued"
        }
        let who = job.requests.isEmpty ? "re-applying \(job.items) pending items"
            : "request \(job.requests[0])\(job.requests.count > 1 ? " and \(job.requests.count - 1) more" : "")"
        let progress = job.progress
        let attempt = progress.attempt > 1 ? " (fallback retry)" : ""
        switch progress.phase {
        case .training:
            let eta = progress.secondsRemaining.map { String(format: ", ETA %.0f s", $0) } ?? ""
            return "\(who): training step \(progress.step) of \(progress.totalSteps)\(eta)\(attempt)"
        case .preparing, .gating, .publishing:
            return "\(who): \(progress.phase.rawValue)\(attempt)"
        }
    }

    public func write(spool: URL) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(self).write(to: spool.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// The status the daemon last wrote, nil when there is none.
    public static func read(spool: URL) -> DaemonStatus? {
        guard let data = FileManager.default.contents(atPath: spool.appendingPathComponent(fileName).path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(DaemonStatus.self, from: data)
    }

    /// Whether the process that wrote it still runs (a daemon killed with -9 leaves its last status).
    public var isProcessAlive: Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// A daemon that wrote this status still serves the spool.
    public var isServing: Bool { isProcessAlive && state != .stopped }
}
