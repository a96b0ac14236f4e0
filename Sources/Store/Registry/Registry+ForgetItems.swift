import Foundation
import GRDB

// The `forget_items` table: the persistent forget set.

extension RegistryTransaction {
    /// Adds items to the forget set; their request must be registered. An item whose
    /// fingerprint is already in the set (from an earlier request or earlier in `items`)
    /// is ``RegistryError/duplicateForgetItem(fingerprint:existingItem:)``, or is left out
    /// when `skippingDuplicates`. Returns the items inserted.
    @discardableResult
    public func insertForgetItems(_ items: [ForgetItemRecord], skippingDuplicates: Bool = false) throws
        -> [ForgetItemRecord]
    {
        var inserted: [ForgetItemRecord] = []
        for item in items {
            if let existing = try forgetItem(fingerprint: item.fingerprint) {
                if skippingDuplicates { continue }
                throw RegistryError.duplicateForgetItem(fingerprint: item.fingerprint, existingItem: existing.id)
            }
            if try ForgetItemRecord.exists(db, key: item.id) { throw RegistryError.duplicateForgetItemID(item.id) }
            guard try RequestRecord.exists(db, key: item.requestID) else {
                throw RegistryError.unknownRequest(item.requestID)
            }
            if let version = item.forgottenInVersion, try !VersionRecord.exists(db, key: version) {
                throw RegistryError.unknownVersion(version)
            }
            try item.insert(db)
            inserted.append(item)
        }
        return inserted
    }

    /// Records an item's new state, the version that forgot it and its latest scores,
    /// stamping `updated_at` with `date`. What the item asks to forget and which request
    /// asked it never change (``RegistryError/forgetItemContentChanged(_:)``).
    @discardableResult
    public func updateForgetItem(_ item: ForgetItemRecord, at date: Date = Date()) throws -> ForgetItemRecord {
        guard let existing = try forgetItem(id: item.id) else { throw RegistryError.unknownForgetItem(item.id) }
        guard existing.requestID == item.requestID, existing.kind == item.kind, existing.prompt == item.prompt,
            existing.completion == item.completion, existing.text == item.text,
            existing.fingerprint == item.fingerprint
        else { throw RegistryError.forgetItemContentChanged(item.id) }
        if let version = item.forgottenInVersion, try !VersionRecord.exists(db, key: version) {
            throw RegistryError.unknownVersion(version)
        }
        var updated = existing
        updated.state = item.state
        updated.forgottenInVersion = item.forgottenInVersion
        updated.latestScores = item.latestScores
        updated.updatedAt = date
        try updated.update(db, columns: [
            ForgetItemRecord.Columns.state, ForgetItemRecord.Columns.forgottenInVersion,
            ForgetItemRecord.Columns.latestScores, ForgetItemRecord.Columns.updatedAt,
        ])
        return updated
    }

    /// ``updateForgetItem(_:at:)`` for each item.
    @discardableResult
    public func updateForgetItems(_ items: [ForgetItemRecord], at date: Date = Date()) throws -> [ForgetItemRecord] {
        try items.map { try updateForgetItem($0, at: date) }
    }

    /// After HEAD moved to `head`: every forgotten item whose forgetting version is not in
    /// `head`'s lineage is pending again (the next job re-applies it). Withdrawn items stay
    /// withdrawn. Returns the items re-opened.
    @discardableResult
    public func reopenForgetItems(notForgottenBy head: Int, at date: Date = Date()) throws -> [ForgetItemRecord] {
        let lineage = Set(try lineage(of: head))
        return try forgetItems(state: .forgotten).filter { item in
            guard let version = item.forgottenInVersion else { return true }
            return !lineage.contains(version)
        }.map { item in
            var reopened = item
            reopened.state = .pending
            return try updateForgetItem(reopened, at: date)
        }
    }

    public func forgetItem(id: String) throws -> ForgetItemRecord? {
        try ForgetItemRecord.fetchOne(db, key: id)
    }

    public func forgetItem(fingerprint: String) throws -> ForgetItemRecord? {
        try ForgetItemRecord.filter(ForgetItemRecord.Columns.fingerprint == fingerprint).fetchOne(db)
    }

    /// The items in `state` (the whole forget set when nil), oldest first.
    public func forgetItems(state: ForgetItemRecord.State? = nil) throws -> [ForgetItemRecord] {
        var query = ForgetItemRecord.order(ForgetItemRecord.Columns.createdAt, ForgetItemRecord.Columns.id)
        if let state { query = query.filter(ForgetItemRecord.Columns.state == state) }
        return try query.fetchAll(db)
    }

    /// The items request `id` brought, oldest first.
    public func forgetItems(request id: String) throws -> [ForgetItemRecord] {
        try ForgetItemRecord.filter(ForgetItemRecord.Columns.requestID == id)
            .order(ForgetItemRecord.Columns.createdAt, ForgetItemRecord.Columns.id)
            .fetchAll(db)
    }
}

extension Registry {
    /// Adds items to the forget set; see ``RegistryTransaction/insertForgetItems(_:skippingDuplicates:)``.
    @discardableResult
    public func insertForgetItems(_ items: [ForgetItemRecord], skippingDuplicates: Bool = false) throws
        -> [ForgetItemRecord]
    {
        try transaction { try $0.insertForgetItems(items, skippingDuplicates: skippingDuplicates) }
    }

    /// Records an item's new state; see ``RegistryTransaction/updateForgetItem(_:at:)``.
    @discardableResult
    public func updateForgetItem(_ item: ForgetItemRecord, at date: Date = Date()) throws -> ForgetItemRecord {
        try transaction { try $0.updateForgetItem(item, at: date) }
    }

    /// Records several items' new states in one transaction.
    @discardableResult
    public func updateForgetItems(_ items: [ForgetItemRecord], at date: Date = Date()) throws -> [ForgetItemRecord] {
        try transaction { try $0.updateForgetItems(items, at: date) }
    }

    public func forgetItem(id: String) throws -> ForgetItemRecord? {
        try read { try $0.forgetItem(id: id) }
    }

    public func forgetItem(fingerprint: String) throws -> ForgetItemRecord? {
        try read { try $0.forgetItem(fingerprint: fingerprint) }
    }

    public func forgetItems(state: ForgetItemRecord.State? = nil) throws -> [ForgetItemRecord] {
        try read { try $0.forgetItems(state: state) }
    }

    public func forgetItems(request id: String) throws -> [ForgetItemRecord] {
        try read { try $0.forgetItems(request: id) }
    }
}
