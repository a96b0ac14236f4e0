import Foundation
import GRDB
import Model

/// A row of `requests`: one request file the daemon claimed from the spool.
public struct RequestRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "requests"

    /// A request to forget items, or to withdraw earlier items or requests.
    public enum Kind: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case forget
        case withdraw
    }

    /// Where a request is in its life: queued → running → applied | rejected | failed,
    /// or withdrawn. The terminal states are applied, rejected, failed and withdrawn.
    public enum Status: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case queued, running, applied, rejected, failed, withdrawn

        /// The request still waits for, or is in, a job.
        public var isOpen: Bool { self == .queued || self == .running }

        /// The request ended without being applied (answered into `failed/`).
        public var isFailure: Bool { self == .failed || self == .rejected }

        /// The moves the registry accepts. A running request goes back to queued when a job
        /// is interrupted (shutdown, crash recovery, HEAD moved); an applied request may be
        /// withdrawn later; a request that ended never runs again, so it is never applied twice.
        public func canMove(to next: Status) -> Bool {
            switch (self, next) {
            case (.queued, .running), (.queued, .rejected), (.queued, .failed), (.queued, .withdrawn):
                return true
            case (.running, .queued), (.running, .applied), (.running, .rejected),
                (.running, .failed), (.running, .withdrawn):
                return true
            case (.applied, .withdrawn):
                return true
            default:
                return false
            }
        }
    }

    /// The request id (the file's `id`, or its content hash when it has none).
    public var id: String
    public var kind: Kind
    /// Hash of the request's content: a second file with the same content is the same request.
    public var contentHash: String
    public var submittedBy: String?
    /// The uid that owned the handed-in file (who handed it in), and that user's name then.
    public var submitterUID: Int?
    public var submitterName: String?
    public var reason: String?
    public var status: Status
    public var receivedAt: Date
    public var updatedAt: Date
    /// The version that served the request (set when applied); nil otherwise, and after gc
    /// deleted that version.
    public var version: Int?
    /// Why the request was rejected or failed, as a JSON object (message, field, numbers).
    public var error: [String: JSONValue]?
    /// What a job needs of the request beyond its forget items (its options, its retain items,
    /// which forget-set entries it names), recorded when it is queued so that the file is never
    /// read again; nil for requests recorded before migration v4.
    public var content: [String: JSONValue]?
    /// The request's file name in the spool.
    public var fileName: String

    public init(
        id: String, kind: Kind = .forget, contentHash: String, submittedBy: String? = nil,
        submitterUID: Int? = nil, submitterName: String? = nil, reason: String? = nil, status: Status = .queued, receivedAt: Date = Date(),
        updatedAt: Date? = nil, version: Int? = nil, error: [String: JSONValue]? = nil, content: [String: JSONValue]? = nil,
        fileName: String
    ) {
        self.id = id
        self.kind = kind
        self.contentHash = contentHash
        self.submittedBy = submittedBy
        self.submitterUID = submitterUID
        self.submitterName = submitterName
        self.reason = reason
        self.status = status
        self.receivedAt = receivedAt
        self.updatedAt = updatedAt ?? receivedAt
        self.version = version
        self.error = error
        self.content = content
        self.fileName = fileName
    }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder { RegistryJSON.encoder() }
    public static func databaseJSONDecoder(for column: String) -> JSONDecoder { RegistryJSON.decoder() }

    enum CodingKeys: String, CodingKey {
        case id, kind
        case contentHash = "content_hash"
        case submittedBy = "submitted_by"
        case submitterUID = "submitter_uid"
        case submitterName = "submitter_name"
        case reason, status
        case receivedAt = "received_at"
        case updatedAt = "updated_at"
        case version, error, content
        case fileName = "file_name"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let contentHash = Column(CodingKeys.contentHash)
        public static let status = Column(CodingKeys.status)
        public static let receivedAt = Column(CodingKeys.receivedAt)
        public static let version = Column(CodingKeys.version)
        public static let fileName = Column(CodingKeys.fileName)
    }
}
