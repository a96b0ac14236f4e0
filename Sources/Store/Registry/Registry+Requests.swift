import Foundation
import GRDB
import Model

// The `requests` table: the daemon's record of every request it claimed.

extension RegistryTransaction {
    /// Records a claimed request, and the forget items it brings. A request already known
    /// by id is ``RegistryError/duplicateRequest(id:)``; by content,
    /// ``RegistryError/duplicateRequestContent(contentHash:existingRequest:)`` (the daemon
    /// answers both from the registry instead of applying them again). Items go through
    /// ``insertForgetItems(_:skippingDuplicates:)``; the ones inserted are returned.
    @discardableResult
    public func insertRequest(
        _ request: RequestRecord, forgetItems: [ForgetItemRecord] = [], skippingDuplicateItems: Bool = false
    ) throws -> [ForgetItemRecord] {
        if try RequestRecord.exists(db, key: request.id) { throw RegistryError.duplicateRequest(id: request.id) }
        if let existing = try self.request(contentHash: request.contentHash) {
            throw RegistryError.duplicateRequestContent(contentHash: request.contentHash, existingRequest: existing.id)
        }
        if let version = request.version, try !VersionRecord.exists(db, key: version) {
            throw RegistryError.unknownVersion(version)
        }
        try request.insert(db)
        return try insertForgetItems(forgetItems, skippingDuplicates: skippingDuplicateItems)
    }

    /// Moves a request to `status` (``RequestRecord/Status/canMove(to:)`` says which moves
    /// are allowed; staying in the same status is allowed) and stamps `updated_at`.
    /// `version` and `error` replace the recorded ones when given and are kept when nil.
    @discardableResult
    public func updateRequestStatus(
        id: String, to status: RequestRecord.Status, version: Int? = nil, error: [String: JSONValue]? = nil,
        at date: Date = Date()
    ) throws -> RequestRecord {
        guard var request = try request(id: id) else { throw RegistryError.unknownRequest(id) }
        guard request.status == status || request.status.canMove(to: status) else {
            throw RegistryError.invalidStatusTransition(request: id, from: request.status, to: status)
        }
        if let version {
            guard try VersionRecord.exists(db, key: version) else { throw RegistryError.unknownVersion(version) }
            request.version = version
        }
        if let error { request.error = error }
        request.status = status
        request.updatedAt = date
        try request.update(db)
        return request
    }

    public func request(id: String) throws -> RequestRecord? {
        try RequestRecord.fetchOne(db, key: id)
    }

    public func request(contentHash: String) throws -> RequestRecord? {
        try RequestRecord.filter(RequestRecord.Columns.contentHash == contentHash).fetchOne(db)
    }

    /// The request whose spool file had this name.
    public func request(fileName: String) throws -> RequestRecord? {
        try RequestRecord.filter(RequestRecord.Columns.fileName == fileName).fetchOne(db)
    }

    /// The requests in `status` (all requests when nil), in the order they were received.
    public func requests(status: RequestRecord.Status? = nil) throws -> [RequestRecord] {
        var query = RequestRecord.order(RequestRecord.Columns.receivedAt, RequestRecord.Columns.id)
        if let status { query = query.filter(RequestRecord.Columns.status == status) }
        return try query.fetchAll(db)
    }
}

extension Registry {
    /// Records a claimed request and its items; see
    /// ``RegistryTransaction/insertRequest(_:forgetItems:skippingDuplicateItems:)``.
    @discardableResult
    public func insertRequest(
        _ request: RequestRecord, forgetItems: [ForgetItemRecord] = [], skippingDuplicateItems: Bool = false
    ) throws -> [ForgetItemRecord] {
        try transaction {
            try $0.insertRequest(request, forgetItems: forgetItems, skippingDuplicateItems: skippingDuplicateItems)
        }
    }

    /// Moves a request to another status; see
    /// ``RegistryTransaction/updateRequestStatus(id:to:version:error:at:)``.
    @discardableResult
    public func updateRequestStatus(
        id: String, to status: RequestRecord.Status, version: Int? = nil, error: [String: JSONValue]? = nil,
        at date: Date = Date()
    ) throws -> RequestRecord {
        try transaction { try $0.updateRequestStatus(id: id, to: status, version: version, error: error, at: date) }
    }

    public func request(id: String) throws -> RequestRecord? {
        try read { try $0.request(id: id) }
    }

    public func request(contentHash: String) throws -> RequestRecord? {
        try read { try $0.request(contentHash: contentHash) }
    }

    public func request(fileName: String) throws -> RequestRecord? {
        try read { try $0.request(fileName: fileName) }
    }

    public func requests(status: RequestRecord.Status? = nil) throws -> [RequestRecord] {
        try read { try $0.requests(status: status) }
    }
}
