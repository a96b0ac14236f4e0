import Foundation
import GRDB

/// A row of `objects`: one stored encoding of a safetensors file.
///
/// The id is the SHA-256 (lowercase hex) of the raw safetensors bytes, so equal weights
/// are one object whatever versions use them, and re-encoding an object (gc turning a
/// delta into a full object) keeps its id.
public struct ObjectRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "objects"

    /// SHA-256 of the raw safetensors bytes, 64 lowercase hex digits.
    public var id: String
    /// `full` (zstd frame of the file) or `delta` (against `baseObject`).
    public var encoding: ObjectEncoding
    /// The object a delta is decoded against; nil for a full object.
    public var baseObject: String?
    /// Size in bytes of the safetensors file the object decodes to.
    public var rawSize: Int
    /// Size in bytes of the object file on disk.
    public var storedSize: Int
    /// The object file, relative to the store root (`objects/ab/cdef….zst`).
    public var path: String
    public var createdAt: Date

    public init(
        id: String, encoding: ObjectEncoding, baseObject: String? = nil,
        rawSize: Int, storedSize: Int, path: String, createdAt: Date = Date()
    ) {
        self.id = id
        self.encoding = encoding
        self.baseObject = baseObject
        self.rawSize = rawSize
        self.storedSize = storedSize
        self.path = path
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, encoding
        case baseObject = "base_object"
        case rawSize = "raw_size"
        case storedSize = "stored_size"
        case path
        case createdAt = "created_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let encoding = Column(CodingKeys.encoding)
        public static let baseObject = Column(CodingKeys.baseObject)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    /// Whether two records describe the same stored object (the creation time aside).
    func isSameObject(as other: ObjectRecord) -> Bool {
        id == other.id && encoding == other.encoding && baseObject == other.baseObject
            && rawSize == other.rawSize && storedSize == other.storedSize && path == other.path
    }
}
