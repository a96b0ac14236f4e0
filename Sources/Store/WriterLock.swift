#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Model

/// An exclusive advisory lock (flock) on `ROOT/lock`, held by whatever writes objects or
/// deletes them (commit, gc, recovery), so that recovery never mistakes another writer's
/// object, written but not yet published, for a crash's orphan. Readers take no lock:
/// SQLite's WAL mode gives them a consistent snapshot.
final class WriterLock {
    private let descriptor: Int32

    init(root: URL) throws {
        let path = StoreLayout(root: root).lock.path
        try StoreFileModes.createFileIfAbsent(path)
        descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(path: path, operation: "open the lock file") }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(descriptor)
                throw FileSystemError(path: path, operation: "lock")
            }
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
