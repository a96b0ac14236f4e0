import GRDB

// The `utility_references` table: a base version's answers to the user's utility set.

extension RegistryTransaction {
    /// The references recorded for `baseVersion`, by fingerprint.
    public func utilityReferences(baseVersion: Int) throws -> [String: UtilityReferenceRecord] {
        let rows = try UtilityReferenceRecord.filter(UtilityReferenceRecord.Columns.baseVersion == baseVersion).fetchAll(db)
        return Dictionary(rows.map { ($0.fingerprint, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Records references; one already recorded for the same base version and item is kept.
    public func insertUtilityReferences(_ records: [UtilityReferenceRecord]) throws {
        for record in records {
            guard try VersionRecord.exists(db, key: record.baseVersion) else { throw RegistryError.unknownVersion(record.baseVersion) }
            // Not INSERT OR IGNORE: that would also skip a row that breaks a CHECK.
            if try UtilityReferenceRecord.exists(db, key: ["base_version": record.baseVersion, "fingerprint": record.fingerprint]) { continue }
            try record.insert(db)
        }
    }
}

extension Registry {
    public func utilityReferences(baseVersion: Int) throws -> [String: UtilityReferenceRecord] {
        try read { try $0.utilityReferences(baseVersion: baseVersion) }
    }

    public func insertUtilityReferences(_ records: [UtilityReferenceRecord]) throws {
        try transaction { try $0.insertUtilityReferences(records) }
    }
}
