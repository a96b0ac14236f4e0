import Foundation
import Model
#if canImport(Glibc)
import Glibc
#endif

/// A directory held open by its descriptor. Every name is resolved relative to the directory
/// itself (`openat`, `renameat`, `fstatat`, never following a symlink), so once the daemon holds
/// its spool folders, no rename or symlink made afterwards can send a read or a write elsewhere.
final class DirectoryHandle: @unchecked Sendable {
    let descriptor: Int32
    /// For messages only: nothing is ever opened through it after the handle exists.
    let path: String

    /// Opens `name` in `parent` (a descriptor, or `AT_FDCWD` for a path) as a directory, refusing
    /// a symlink in its place.
    init(at parent: Int32, _ name: String, path: String) throws {
        descriptor = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(path: path, operation: "open the folder") }
        self.path = path
    }

    deinit { close(descriptor) }

    /// The directory's own status (`fstat`).
    func status() throws -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError(path: path, operation: "inspect") }
        return info
    }

    /// What `name` in the directory is, never followed; nil when nothing has that name.
    func status(of name: String) throws -> stat? {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError(path: "\(path)/\(name)", operation: "inspect")
        }
        return info
    }

    /// The names in the directory, `.` and `..` left out.
    func names() throws -> [String] {
        // fdopendir takes ownership of the descriptor it is given, so it gets a copy.
        let copy = dup(descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw FileSystemError(path: path, operation: "list")
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Opens `name` for reading, never through a symlink and without blocking on a FIFO.
    func openForReading(_ name: String) throws -> Int32 {
        let file = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { throw FileSystemError(path: "\(path)/\(name)", operation: "open") }
        return file
    }

    /// Renames `name` into `target` as `newName`: false when `name` is gone.
    func move(_ name: String, to target: DirectoryHandle, as newName: String) throws -> Bool {
        guard renameat(descriptor, name, target.descriptor, newName) == 0 else {
            if errno == ENOENT { return false }
            throw FileSystemError(path: "\(path)/\(name)", operation: "move into \(target.path)/ as \(newName)")
        }
        return true
    }

    /// Writes `bytes` as `name`, replacing what had the name only once the whole file is written:
    /// a temporary file of the daemon's own (created exclusively, mode `permissions` whatever the
    /// umask), flushed when `durable`, then renamed over `name`, and the directory flushed.
    func replace(_ name: String, with bytes: [UInt8], permissions: mode_t, durable: Bool = true) throws {
        let temporary = ".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let file = openat(descriptor, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard file >= 0 else { throw FileSystemError(path: "\(path)/\(temporary)", operation: "create") }
        var renamed = false
        defer { if !renamed { unlinkat(descriptor, temporary, 0) } }
        do {
            defer { close(file) }
            guard fchmod(file, permissions) == 0 else { throw FileSystemError(path: "\(path)/\(temporary)", operation: "set the mode of") }
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress! + written, $0.count - written) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw FileSystemError(path: "\(path)/\(temporary)", operation: "write") }
                written += count
            }
            if durable { guard fsync(file) == 0 else { throw FileSystemError(path: "\(path)/\(temporary)", operation: "flush") } }
        }
        guard renameat(descriptor, temporary, descriptor, name) == 0 else {
            throw FileSystemError(path: "\(path)/\(name)", operation: "rename a new file over")
        }
        renamed = true
        if durable { try flush() }
    }

    /// Makes the renames into and out of the directory durable.
    func flush() throws {
        guard fsync(descriptor) == 0 else { throw FileSystemError(path: path, operation: "flush") }
    }
}
