import Foundation
import Model

/// One daemon per store: an exclusive flock on `STORE/daemon.lock`, held for the daemon's life
/// and released by the kernel when the process ends, however it ends.
public final class InstanceLock {
    private let descriptor: Int32

    public init(store: URL) throws {
        let path = store.appendingPathComponent("daemon.lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw FileSystemError(path: path, operation: "open the daemon lock") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw DaemonError.alreadyRunning(store: store.path)
        }
    }

    deinit { close(descriptor) }
}

public enum DaemonError: Error, Equatable, CustomStringConvertible {
    case alreadyRunning(store: String)
    /// The retain or utility data (a corpus or a set) named by `key`.
    case dataUnreadable(path: String, key: String, reason: String)
    /// The data named by `key` reads but leaves nothing to keep or to measure.
    case dataUnusable(key: String, reason: String)

    public var description: String {
        switch self {
        case .alreadyRunning(let store): "another lethe daemon serves the store \(store) (it holds \(store)/daemon.lock)"
        case .dataUnreadable(let path, let key, let reason): "\(path) (configuration key \(key)) cannot be read: \(reason)"
        case .dataUnusable(let key, let reason): "the configuration key \(key) \(reason)"
        }
    }
}
