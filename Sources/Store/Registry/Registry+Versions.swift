import Foundation
import GRDB

// The `versions`, `head`, `head_log` and `version_requests` tables: publishing versions,
// moving HEAD, reading history.

extension RegistryTransaction {
    /// Publishes a version: registers `object` when given (as ``insertObject(_:)``: the
    /// object's file must already be durably on disk), inserts the version (its object must
    /// now be registered), links the requests it served, and when `moveHead` is true moves
    /// HEAD to it and logs the move.
    ///
    /// `version.id` must be ``nextVersionID()``, and `version.chainLength` the delta hops
    /// of its object. With `moveHead`, HEAD must still be `expectedHead` (what the caller
    /// trained from; nil before version 0), else ``RegistryError/headMoved(expected:actual:)``
    /// and nothing is published: a rollback that landed during the job wins.
    public func publishVersion(
        _ version: VersionRecord, object: ObjectRecord? = nil, requests: [String], moveHead: Bool,
        expectedHead: Int?, reason: String, actor: String
    ) throws {
        if let object {
            guard object.id == version.object else {
                throw RegistryError.invalidObject(
                    id: object.id, reason: "version \(version.id) names object \(version.object) instead")
            }
            try insertObject(object)
        }
        let next = try nextVersionID()
        guard version.id == next else { throw RegistryError.versionIDUnavailable(id: version.id, next: next) }
        if let parent = version.parent, try !VersionRecord.exists(db, key: parent) {
            throw RegistryError.unknownParent(version: version.id, parent: parent)
        }
        guard try ObjectRecord.exists(db, key: version.object) else {
            throw RegistryError.unknownObject(version.object)
        }
        let actual = try chainLength(ofObject: version.object)
        guard actual == version.chainLength else {
            throw RegistryError.chainLengthMismatch(
                version: version.id, object: version.object, recorded: version.chainLength, actual: actual)
        }
        try version.insert(db)

        var linked: Set<String> = []
        for request in requests where linked.insert(request).inserted {
            guard try RequestRecord.exists(db, key: request) else { throw RegistryError.unknownRequest(request) }
            try VersionRequestRecord(versionID: version.id, requestID: request).insert(db)
        }

        if moveHead {
            let current = try head()
            guard current == expectedHead else {
                throw RegistryError.headMoved(expected: expectedHead, actual: current)
            }
            try logAndMoveHead(from: current, to: version.id, reason: reason, actor: actor)
        }
    }

    /// The version HEAD names; nil until version 0 is published.
    public func head() throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT version FROM head WHERE id = 1")
    }

    /// Moves HEAD to an existing version (a rollback, or a roll forward) and logs the move.
    /// Returns the log row, or nil when HEAD already is `version` (nothing moves, nothing
    /// is logged).
    @discardableResult
    public func moveHead(to version: Int, reason: String, actor: String) throws -> HeadLogRecord? {
        guard try VersionRecord.exists(db, key: version) else { throw RegistryError.unknownVersion(version) }
        let current = try head()
        if current == version { return nil }
        return try logAndMoveHead(from: current, to: version, reason: reason, actor: actor)
    }

    /// Every HEAD move, oldest first.
    public func headLog() throws -> [HeadLogRecord] {
        try HeadLogRecord.order(HeadLogRecord.Columns.id).fetchAll(db)
    }

    public func version(_ id: Int) throws -> VersionRecord? {
        try VersionRecord.fetchOne(db, key: id)
    }

    /// All versions, by id.
    public func versions() throws -> [VersionRecord] {
        try VersionRecord.order(VersionRecord.Columns.id).fetchAll(db)
    }

    /// The id the next published version must have: one more than the largest id ever
    /// used (ids of versions gc deleted are not reused), 0 for an empty registry.
    public func nextVersionID() throws -> Int {
        // `versions.id` is AUTOINCREMENT, so sqlite_sequence keeps the largest id ever
        // inserted, explicit ids included, even after that version is deleted.
        let sequence = try Int.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'versions'")
        let largest = try Int.fetchOne(db, sql: "SELECT max(id) FROM versions")
        return max(sequence ?? -1, largest ?? -1) + 1
    }

    /// `id` and every version it descends from, nearest first.
    public func lineage(of id: Int) throws -> [Int] {
        var lineage: [Int] = []
        var next: Int? = id
        while let current = next, let version = try version(current) {
            lineage.append(current)
            next = version.parent
        }
        return lineage
    }

    /// The versions whose parent is `id`, by id.
    public func children(of id: Int) throws -> [VersionRecord] {
        try VersionRecord.filter(VersionRecord.Columns.parent == id).order(VersionRecord.Columns.id).fetchAll(db)
    }

    /// The requests version `id` served, in request-id order.
    public func requests(servedBy id: Int) throws -> [RequestRecord] {
        try RequestRecord.fetchAll(db, sql: """
            SELECT requests.* FROM requests
            JOIN version_requests ON version_requests.request_id = requests.id
            WHERE version_requests.version_id = ?
            ORDER BY requests.id
            """, arguments: [id])
    }

    /// The versions that served request `id`, by id.
    public func versions(serving id: String) throws -> [VersionRecord] {
        try VersionRecord.fetchAll(db, sql: """
            SELECT versions.* FROM versions
            JOIN version_requests ON version_requests.version_id = versions.id
            WHERE version_requests.request_id = ?
            ORDER BY versions.id
            """, arguments: [id])
    }

    /// Deletes a version's row (gc). Refused for HEAD, for a version that open requests
    /// name, and for a version that has children (see ``deleteVersion(_:reparentingChildrenTo:)``).
    /// Its request links go with it; requests and forget items that named it keep a NULL
    /// instead. Its object stays (delete it with ``deleteObject(id:)`` once nothing needs
    /// it); head_log keeps mentioning it.
    public func deleteVersion(_ id: Int) throws {
        try deleteVersion(id, reparenting: nil)
    }

    /// ``deleteVersion(_:)`` for a version with children: they become children of
    /// `newParent` (gc passes the nearest version it keeps; nil makes them roots), which
    /// must be older than each of them.
    public func deleteVersion(_ id: Int, reparentingChildrenTo newParent: Int?) throws {
        try deleteVersion(id, reparenting: .some(newParent))
    }

    private func deleteVersion(_ id: Int, reparenting newParent: Int??) throws {
        guard try VersionRecord.exists(db, key: id) else { throw RegistryError.unknownVersion(id) }
        if try head() == id { throw RegistryError.cannotDeleteHead(id) }
        let open = try openRequests(naming: id)
        guard open.isEmpty else { throw RegistryError.versionNamedByOpenRequests(version: id, requests: open) }
        let children = try children(of: id)
        if !children.isEmpty {
            guard case .some(let newParent) = newParent else {
                throw RegistryError.versionHasChildren(version: id, children: children.map(\.id))
            }
            if let newParent {
                guard newParent != id, try VersionRecord.exists(db, key: newParent) else {
                    throw RegistryError.unknownVersion(newParent)
                }
                if let child = children.first(where: { $0.id <= newParent }) {
                    throw RegistryError.invalidParent(version: child.id, parent: newParent)
                }
            }
            try db.execute(sql: "UPDATE versions SET parent = ? WHERE parent = ?", arguments: [newParent, id])
        }
        try VersionRecord.deleteOne(db, key: id)
    }

    /// Points a version at another object (gc re-encoding into a new object).
    public func updateVersionObject(version id: Int, object: String, chainLength: Int) throws {
        guard try VersionRecord.exists(db, key: id) else { throw RegistryError.unknownVersion(id) }
        guard try ObjectRecord.exists(db, key: object) else { throw RegistryError.unknownObject(object) }
        let actual = try self.chainLength(ofObject: object)
        guard actual == chainLength else {
            throw RegistryError.chainLengthMismatch(version: id, object: object, recorded: chainLength, actual: actual)
        }
        try db.execute(
            sql: "UPDATE versions SET object = ?, chain_length = ? WHERE id = ?", arguments: [object, chainLength, id])
    }

    /// The versions that queued or running requests name (as `requests.version` or through
    /// `version_requests`): gc keeps them.
    public func versionsNamedByOpenRequests() throws -> Set<Int> {
        try Int.fetchSet(db, sql: """
            SELECT version FROM requests WHERE status IN ('queued', 'running') AND version IS NOT NULL
            UNION
            SELECT version_requests.version_id FROM version_requests
            JOIN requests ON requests.id = version_requests.request_id
            WHERE requests.status IN ('queued', 'running')
            """)
    }

    private func openRequests(naming version: Int) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT id FROM requests WHERE status IN ('queued', 'running') AND version = ?1
            UNION
            SELECT requests.id FROM requests
            JOIN version_requests ON version_requests.request_id = requests.id
            WHERE requests.status IN ('queued', 'running') AND version_requests.version_id = ?1
            ORDER BY 1
            """, arguments: [version])
    }

    /// Appends the log row, then moves HEAD: the schema lets HEAD change only to the
    /// newest log row's `to_version`.
    @discardableResult
    private func logAndMoveHead(from current: Int?, to version: Int, reason: String, actor: String) throws
        -> HeadLogRecord
    {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, !actor.trimmingCharacters(in: .whitespaces).isEmpty
        else { throw RegistryError.missingReasonOrActor(version: version) }
        let entry = try HeadLogRecord(fromVersion: current, toVersion: version, reason: reason, actor: actor)
            .insertAndFetch(db)
        if current == nil {
            try HeadRecord(version: version).insert(db)
        } else {
            try db.execute(sql: "UPDATE head SET version = ? WHERE id = 1", arguments: [version])
        }
        return entry
    }
}

extension Registry {
    /// Publishes a version in one transaction; see
    /// ``RegistryTransaction/publishVersion(_:object:requests:moveHead:expectedHead:reason:actor:)``.
    public func publishVersion(
        _ version: VersionRecord, object: ObjectRecord? = nil, requests: [String], moveHead: Bool,
        expectedHead: Int?, reason: String, actor: String
    ) throws {
        try transaction {
            try $0.publishVersion(
                version, object: object, requests: requests, moveHead: moveHead, expectedHead: expectedHead,
                reason: reason, actor: actor)
        }
    }

    public func head() throws -> Int? {
        try read { try $0.head() }
    }

    /// Moves HEAD and logs it; see ``RegistryTransaction/moveHead(to:reason:actor:)``.
    @discardableResult
    public func moveHead(to version: Int, reason: String, actor: String) throws -> HeadLogRecord? {
        try transaction { try $0.moveHead(to: version, reason: reason, actor: actor) }
    }

    public func headLog() throws -> [HeadLogRecord] {
        try read { try $0.headLog() }
    }

    public func version(_ id: Int) throws -> VersionRecord? {
        try read { try $0.version(id) }
    }

    public func versions() throws -> [VersionRecord] {
        try read { try $0.versions() }
    }

    public func nextVersionID() throws -> Int {
        try read { try $0.nextVersionID() }
    }

    public func children(of id: Int) throws -> [VersionRecord] {
        try read { try $0.children(of: id) }
    }

    public func requests(servedBy id: Int) throws -> [RequestRecord] {
        try read { try $0.requests(servedBy: id) }
    }

    public func versions(serving id: String) throws -> [VersionRecord] {
        try read { try $0.versions(serving: id) }
    }

    /// Deletes a version's row; see ``RegistryTransaction/deleteVersion(_:)``.
    public func deleteVersion(_ id: Int) throws {
        try transaction { try $0.deleteVersion(id) }
    }

    /// Deletes a version's row and re-parents its children; see
    /// ``RegistryTransaction/deleteVersion(_:reparentingChildrenTo:)``.
    public func deleteVersion(_ id: Int, reparentingChildrenTo newParent: Int?) throws {
        try transaction { try $0.deleteVersion(id, reparentingChildrenTo: newParent) }
    }

    public func updateVersionObject(version id: Int, object: String, chainLength: Int) throws {
        try transaction { try $0.updateVersionObject(version: id, object: object, chainLength: chainLength) }
    }

    public func versionsNamedByOpenRequests() throws -> Set<Int> {
        try read { try $0.versionsNamedByOpenRequests() }
    }
}
