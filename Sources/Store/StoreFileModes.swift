#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Model

/// The modes of everything the store creates: the registry holds every forget-set prompt
/// and completion and every submitter, so no store file is readable by others, whatever
/// the process umask. The owner writes, the group (an operator's group, `lethe` under
/// systemd) reads, others get nothing. Modes are set explicitly after creation, since the
/// mode given to open(2) and mkdir(2) is narrowed by the umask.
public enum StoreFileModes {
    /// Registry (and the -wal and -shm files SQLite gives the same mode), lock, objects,
    /// the model's files.
    public static let file: mode_t = 0o640
    /// The store root when the store creates it, `objects/` and its subfolders, `model/`.
    public static let directory: mode_t = 0o750

    /// Creates the folder and any missing parent with `directory`'s mode; folders that
    /// exist already keep theirs.
    static func createDirectories(at url: URL) throws {
        let path = url.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        let parent = url.standardizedFileURL.deletingLastPathComponent()
        if parent.path != path { try createDirectories(at: parent) }
        guard mkdir(path, directory) == 0 else {
            if errno == EEXIST { return }  // another process created it meanwhile
            throw FileSystemError(path: path, operation: "create the folder")
        }
        guard chmod(path, directory) == 0 else { throw FileSystemError(path: path, operation: "set permissions of") }
    }

    /// Creates an empty file with `file`'s mode unless one exists; an existing file keeps
    /// its mode (it may belong to another user, and readers never change it).
    static func createFileIfAbsent(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, file)
        guard descriptor >= 0 else {
            if errno == EEXIST { return }
            throw FileSystemError(path: path, operation: "create")
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, file) == 0 else { throw FileSystemError(path: path, operation: "set permissions of") }
    }
}
