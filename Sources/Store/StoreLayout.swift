import Foundation

/// Where a store keeps its files under its root (default `./Checkpoints`):
///
///     lethe.sqlite            the registry (WAL mode: also -wal and -shm files)
///     objects/ab/cdef….zst     one object per SHA-256 of raw safetensors bytes
///     model/                  the non-weight files of the imported model folder
///
/// Object files are written as `objects/.tmp-*` first and renamed into place, so a
/// crash leaves at most a temporary file that recovery deletes.
public struct StoreLayout: Sendable, Equatable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var database: URL { root.appendingPathComponent("lethe.sqlite") }
    public var objects: URL { root.appendingPathComponent("objects", isDirectory: true) }
    public var modelFiles: URL { root.appendingPathComponent("model", isDirectory: true) }

    /// The object's path relative to the root, as the registry records it.
    public func relativeObjectPath(id: String) -> String {
        "objects/\(id.prefix(2))/\(id.dropFirst(2)).zst"
    }

    public func url(relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}
