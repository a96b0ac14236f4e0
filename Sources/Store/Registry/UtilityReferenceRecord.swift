import Foundation
import GRDB

/// A row of `utility_references`: what one utility item is measured against under one base
/// version (`RegistryMigrations`, v5).
public struct UtilityReferenceRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "utility_references"

    public var baseVersion: Int
    /// `fingerprint(prompt:completion:)` of the item as the utility set gives it.
    public var fingerprint: String
    /// The answer a version's greedy answer and p̄ are measured against.
    public var reference: String
    /// p̄ of `reference` under the base version.
    public var baseProbability: Double
    /// The base version's ROUGE-L recall of `reference`; nil for a passage and for the base
    /// version's own answer, which are measured by their likelihood alone.
    public var baseRecall: Double?

    public init(baseVersion: Int, fingerprint: String, reference: String, baseProbability: Double, baseRecall: Double?) {
        (self.baseVersion, self.fingerprint, self.reference) = (baseVersion, fingerprint, reference)
        (self.baseProbability, self.baseRecall) = (baseProbability, baseRecall)
    }

    enum CodingKeys: String, CodingKey {
        case baseVersion = "base_version"
        case fingerprint, reference
        case baseProbability = "base_probability"
        case baseRecall = "base_recall"
    }

    public enum Columns {
        public static let baseVersion = Column(CodingKeys.baseVersion)
    }

    /// SHA-256 of a utility item's prompt and completion (nil when given alone), NUL-separated
    /// as the forget set's fingerprint is: the same item in another file is the same row.
    public static func fingerprint(prompt: String, completion: String?) -> String {
        sha256Hex(Array(([prompt] + (completion.map { [$0] } ?? [])).joined(separator: "\u{0}").utf8))
    }
}
