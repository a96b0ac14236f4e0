import Foundation
import Model

/// What a store costs on disk (`lethe history`, `lethe bench daemon`): each version's own
/// object, and the store's total.
public struct StoreUsage: Codable, Sendable, Equatable {
    /// A version and the bytes of its object file: the whole weights as a zstd frame (`full`),
    /// or only the change against its base object (`delta`), whose bytes are the base's own.
    /// Versions with identical weights share one object, and each shows its bytes.
    public struct Version: Codable, Sendable, Equatable {
        public var id: Int
        public var object: String
        public var encoding: ObjectEncoding
        public var storedBytes: Int
    }

    /// Everything the store keeps, each file once.
    public struct Total: Codable, Sendable, Equatable {
        /// Registered objects (a base that only deltas need counts too).
        public var objects: Int
        public var objectBytes: Int
        /// `lethe.sqlite` and its `-wal` and `-shm` files.
        public var registryBytes: Int
        /// `model/`: the imported folder's config and tokenizer files.
        public var modelFileBytes: Int
        /// The three together.
        public var totalBytes: Int
    }

    /// By id.
    public var versions: [Version]
    public var total: Total
}

extension CheckpointStore {
    /// The store's usage now.
    public func usage() throws -> StoreUsage {
        try registry.read { try usage($0) }
    }

    /// The store's usage as `snapshot` sees the registry (``Registry/read(_:)``), so that it
    /// agrees with the other reads of the same snapshot. An object's bytes are its file's
    /// size as written (`stored_size`); the registry and model files are measured on disk.
    public func usage(_ snapshot: RegistryTransaction) throws -> StoreUsage {
        let objects = try snapshot.objects()
        let byID = Dictionary(uniqueKeysWithValues: objects.map { ($0.id, $0) })
        let versions = try snapshot.versions().map { version in
            guard let object = byID[version.object] else { throw RegistryError.unknownObject(version.object) }
            return StoreUsage.Version(id: version.id, object: object.id, encoding: object.encoding, storedBytes: object.storedSize)
        }
        let objectBytes = objects.reduce(0) { $0 + $1.storedSize }
        let registryBytes = ([layout.database] + layout.databaseCompanions).reduce(0) { $0 + Self.fileBytes($1) }
        let modelFiles = (try? FileManager.default.contentsOfDirectory(at: layout.modelFiles, includingPropertiesForKeys: nil)) ?? []
        let modelFileBytes = modelFiles.reduce(0) { $0 + Self.fileBytes($1) }
        return StoreUsage(versions: versions, total: StoreUsage.Total(
            objects: objects.count, objectBytes: objectBytes, registryBytes: registryBytes, modelFileBytes: modelFileBytes,
            totalBytes: objectBytes + registryBytes + modelFileBytes))
    }

    /// The size of a regular file; 0 for anything else or nothing.
    static func fileBytes(_ url: URL) -> Int {
        guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]), values.isRegularFile == true
        else { return 0 }
        return values.fileSize ?? 0
    }
}
