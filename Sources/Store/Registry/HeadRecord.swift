import GRDB

/// The single row of `head` (id = 1): the version the daemon serves and trains from.
///
/// It exists once version 0 is published. The database only lets it change to the
/// `to_version` of the newest `head_log` row, so every move is logged.
public struct HeadRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "head"

    /// Always 1.
    public var id: Int
    public var version: Int

    public init(version: Int) {
        self.id = 1
        self.version = version
    }
}
