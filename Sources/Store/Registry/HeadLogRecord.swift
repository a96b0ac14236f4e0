import Foundation
import GRDB

/// A row of `head_log`: one move of HEAD. The table is append-only (triggers refuse
/// UPDATE and DELETE) and has no foreign keys, so it outlives the versions gc deletes.
public struct HeadLogRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "head_log"

    /// Increasing in the order of the moves; nil before the row is inserted.
    public var id: Int?
    /// HEAD before the move; nil for the first move (the publication of version 0).
    public var fromVersion: Int?
    public var toVersion: Int
    /// Why (`init`, `publish version 4 for request r-17`, the `--reason` of a rollback).
    public var reason: String
    /// Who (`daemon`, `lethe rollback` with the user name, …).
    public var actor: String
    public var createdAt: Date

    public init(
        id: Int? = nil, fromVersion: Int?, toVersion: Int, reason: String, actor: String,
        createdAt: Date = Date()
    ) {
        self.id = id
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.reason = reason
        self.actor = actor
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case fromVersion = "from_version"
        case toVersion = "to_version"
        case reason, actor
        case createdAt = "created_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
    }
}
