import Foundation
import GRDB
import Model

/// A row of `versions`: one checkpoint of the model.
public struct VersionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "versions"

    /// What made a version. Open-ended text in the database; these are the kinds Lethe writes.
    public struct Kind: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral,
        CustomStringConvertible
    {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        /// Version 0: the model folder that `lethe init` imported.
        public static let initial: Kind = "init"
        /// An unlearning update of its parent.
        public static let unlearn: Kind = "unlearn"
        /// Weights imported into an existing store.
        public static let `import`: Kind = "import"

        public init(from decoder: Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    /// 0 for the version `init` imported, then 1, 2, … in publication order; never reused.
    public var id: Int
    /// The version this one was derived from (nil for version 0 and for imports).
    public var parent: Int?
    public var createdAt: Date
    public var kind: Kind
    /// The object holding the weights (objects.id).
    public var object: String
    /// The unlearning method (`dipo`, `npo`, …); nil when no training made the version.
    public var method: String?
    public var hyperparameters: [String: JSONValue]
    public var metrics: [String: JSONValue]
    public var note: String
    /// Delta hops from the object to the nearest full object: 0 when the object is full.
    public var chainLength: Int

    public init(
        id: Int, parent: Int?, createdAt: Date = Date(), kind: Kind, object: String,
        method: String? = nil, hyperparameters: [String: JSONValue] = [:],
        metrics: [String: JSONValue] = [:], note: String = "", chainLength: Int
    ) {
        self.id = id
        self.parent = parent
        self.createdAt = createdAt
        self.kind = kind
        self.object = object
        self.method = method
        self.hyperparameters = hyperparameters
        self.metrics = metrics
        self.note = note
        self.chainLength = chainLength
    }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder { RegistryJSON.encoder() }
    public static func databaseJSONDecoder(for column: String) -> JSONDecoder { RegistryJSON.decoder() }

    enum CodingKeys: String, CodingKey {
        case id, parent
        case createdAt = "created_at"
        case kind, object, method, hyperparameters, metrics, note
        case chainLength = "chain_length"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let parent = Column(CodingKeys.parent)
        public static let object = Column(CodingKeys.object)
    }
}
