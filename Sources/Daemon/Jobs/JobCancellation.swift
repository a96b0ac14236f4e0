import Foundation

/// Set from a signal handler when the daemon must stop; the running job checks it after every
/// training step and between the passes of the gate's generation, and ends there. Each check
/// is also a heartbeat, which the systemd watchdog reads.
public final class JobCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var beaten = Date()

    public init() {}

    public func cancel() { lock.withLock { cancelled = true } }

    public var isCancelled: Bool { lock.withLock { cancelled } }

    /// When the daemon last showed signs of life.
    public var lastBeat: Date { lock.withLock { beaten } }

    public func beat() { lock.withLock { beaten = Date() } }

    /// A heartbeat; throws `JobInterrupted` once cancelled.
    public func check() throws {
        beat()
        if isCancelled { throw JobInterrupted() }
    }
}

/// A job stopped by a shutdown: its requests go back to the queue and run again after a restart.
public struct JobInterrupted: Error, CustomStringConvertible {
    public var description: String { "the job was interrupted by a shutdown" }
}

/// Every request of a job was withdrawn while it ran: it stops, and nothing is published.
public struct JobWithdrawn: Error, CustomStringConvertible {
    public var description: String { "every request of the job was withdrawn while it ran" }
}

/// A request a signal handler raises and the loop takes (SIGHUP's reload).
final class SignalFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    func raise() { lock.withLock { raised = true } }

    var isRaised: Bool { lock.withLock { raised } }

    /// True once per raise.
    func take() -> Bool { lock.withLock { defer { raised = false }; return raised } }
}
