import Foundation
import Model
#if canImport(Glibc)
import Glibc
#endif

/// Wakes the daemon when a file arrives in `incoming/`: inotify on Linux (a rename into the
/// folder, or a file closed after writing), and the caller's periodic rescan as the safety net
/// for whatever an event queue can drop (an overflow, a change on a network file system).
/// Without inotify, `wait` simply sleeps the timeout.
public final class SpoolWatcher: @unchecked Sendable {
    private let descriptor: Int32

    public init(directory: URL) throws {
        #if os(Linux)
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw FileSystemError(path: directory.path, operation: "start inotify for") }
        let mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE)
        guard inotify_add_watch(descriptor, directory.path, mask) >= 0 else {
            let error = FileSystemError(path: directory.path, operation: "watch")
            close(descriptor)
            throw error
        }
        #else
        descriptor = -1
        #endif
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Blocks until an event arrives or `timeout` passes; true when woken by an event. Every
    /// pending event is consumed: the caller rescans the folder anyway.
    public func wait(timeout: Duration) -> Bool {
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard descriptor >= 0 else {
            Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
            return false
        }
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&request, 1, milliseconds)
        guard ready > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(descriptor, &buffer, buffer.count) > 0 {}
        return true
    }
}
