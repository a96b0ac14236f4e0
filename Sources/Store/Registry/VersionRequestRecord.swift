import GRDB

/// A row of `version_requests`: version `versionID` served request `requestID`.
public struct VersionRequestRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "version_requests"

    public var versionID: Int
    public var requestID: String

    public init(versionID: Int, requestID: String) {
        self.versionID = versionID
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case versionID = "version_id"
        case requestID = "request_id"
    }

    public enum Columns {
        public static let versionID = Column(CodingKeys.versionID)
        public static let requestID = Column(CodingKeys.requestID)
    }
}
