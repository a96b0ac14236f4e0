import Foundation

/// Where a store keeps its files under its root (default `./Checkpoints`):
///
///     lethe.sqlite            the registry (WAL mode: also -wal and -shm files)
///     objects/ab/cdef….zst     one object per SHA-256 of raw safetensors bytes
///     model/                  the non-weight files of the imported model folder
///     lock                    the writer lock (flock)
///
/// Object files are written as `objects/.tmp-*` first and renamed into place, so a
/// crash leaves at most a temporary file that recovery deletes. Files are created 0640
/// and folders 0750 (`StoreFileModes`).
public struct StoreLayout: Sendable, Equatable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var database: URL { root.appendingPathComponent("lethe.sqlite") }
    public var objects: URL { root.appendingPathComponent("objects", isDirectory: true) }
    public var modelFiles: URL { root.appendingPathComponent("model", isDirectory: true) }
    public var lock: URL { root.appendingPathComponent("lock") }
    /// The files SQLite keeps beside the database while it is open or after a crash.
    public var databaseCompanions: [URL] {
        ["-wal", "-shm", "-journal"].map { root.appendingPathComponent(database.lastPathComponent + $0) }
    }

    /// The object's path relative to the root, as the registry records it.
    public func relativeObjectPath(id: String) -> String {
        "objects/\(id.prefix(2))/\(id.dropFirst(2)).zst"
    }

    public func url(relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}
