import Foundation
import GRDB
import Model

/// A row of `forget_items`: one thing the model must not know, from one request.
///
/// The forget set never shrinks (a trigger refuses DELETE) and an item's content and
/// provenance never change (a trigger refuses it); only its state, the version that
/// forgot it, its latest scores and `updated_at` do.
public struct ForgetItemRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "forget_items"

    /// A question-answer pair (`prompt` + `completion`) or a passage (`text`).
    public enum Kind: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case qa
        case text
    }

    /// pending: the current HEAD is not known to satisfy it (new, or re-opened by a
    /// rollback); forgotten: a published version satisfied it; withdrawn: it is no longer
    /// re-applied; failed: its request failed after the escalation ladder, so nothing
    /// re-applies it until a request asks it again.
    public enum State: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        case pending, forgotten, withdrawn, failed
    }

    public var id: String
    public var requestID: String
    public var kind: Kind
    public var prompt: String?
    public var completion: String?
    public var text: String?
    /// SHA-256 of the normalised content (``fingerprint(kind:prompt:completion:text:)``):
    /// unique, so an item asked twice is one item.
    public var fingerprint: String
    public var state: State
    public var forgottenInVersion: Int?
    /// The item's scores at its latest measurement, as a JSON object.
    public var latestScores: [String: JSONValue]?
    public var createdAt: Date
    public var updatedAt: Date

    /// A question-answer item; its fingerprint is computed from its content.
    public static func qa(
        id: String, requestID: String, prompt: String, completion: String, createdAt: Date = Date()
    ) -> ForgetItemRecord {
        ForgetItemRecord(
            id: id, requestID: requestID, kind: .qa, prompt: prompt, completion: completion, text: nil,
            fingerprint: fingerprint(kind: .qa, prompt: prompt, completion: completion, text: nil),
            createdAt: createdAt)
    }

    /// A passage item; its fingerprint is computed from its content.
    public static func text(id: String, requestID: String, text: String, createdAt: Date = Date()) -> ForgetItemRecord {
        ForgetItemRecord(
            id: id, requestID: requestID, kind: .text, prompt: nil, completion: nil, text: text,
            fingerprint: fingerprint(kind: .text, prompt: nil, completion: nil, text: text),
            createdAt: createdAt)
    }

    public init(
        id: String, requestID: String, kind: Kind, prompt: String?, completion: String?, text: String?,
        fingerprint: String, state: State = .pending, forgottenInVersion: Int? = nil,
        latestScores: [String: JSONValue]? = nil, createdAt: Date = Date(), updatedAt: Date? = nil
    ) {
        self.id = id
        self.requestID = requestID
        self.kind = kind
        self.prompt = prompt
        self.completion = completion
        self.text = text
        self.fingerprint = fingerprint
        self.state = state
        self.forgottenInVersion = forgottenInVersion
        self.latestScores = latestScores
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// SHA-256 (lowercase hex) of the item's normalised content.
    ///
    /// Normalisation: Unicode NFC, every run of white space replaced by one space, leading
    /// and trailing white space removed; case is kept. The hashed bytes are the UTF-8 of
    /// `qa`, NUL, prompt, NUL, completion, or of `text`, NUL, text, so a question and a
    /// passage with the same words are different items.
    public static func fingerprint(kind: Kind, prompt: String?, completion: String?, text: String?) -> String {
        let fields: [String]
        switch kind {
        case .qa: fields = ["qa", normalise(prompt ?? ""), normalise(completion ?? "")]
        case .text: fields = ["text", normalise(text ?? "")]
        }
        return sha256Hex(Array(fields.joined(separator: "\u{0}").utf8))
    }

    static func normalise(_ string: String) -> String {
        string.precomposedStringWithCanonicalMapping
            .split(whereSeparator: { $0.isWhitespace })
            .joined(separator: " ")
    }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder { RegistryJSON.encoder() }
    public static func databaseJSONDecoder(for column: String) -> JSONDecoder { RegistryJSON.decoder() }

    enum CodingKeys: String, CodingKey {
        case id
        case requestID = "request_id"
        case kind, prompt, completion, text, fingerprint, state
        case forgottenInVersion = "forgotten_in_version"
        case latestScores = "latest_scores"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let requestID = Column(CodingKeys.requestID)
        public static let fingerprint = Column(CodingKeys.fingerprint)
        public static let state = Column(CodingKeys.state)
        public static let forgottenInVersion = Column(CodingKeys.forgottenInVersion)
        public static let latestScores = Column(CodingKeys.latestScores)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}
