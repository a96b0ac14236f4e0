import GRDB

// The `objects` table: registering, finding, re-encoding and deleting objects.

extension RegistryTransaction {
    /// Registers an object whose file is already durably on disk. Registering the same
    /// object again is a no-op; the same id with a different encoding, size or path is
    /// ``RegistryError/objectConflict(id:)`` (re-encoding goes through ``replaceObject(_:)``).
    public func insertObject(_ object: ObjectRecord) throws {
        if let existing = try ObjectRecord.fetchOne(db, key: object.id) {
            guard existing.isSameObject(as: object) else { throw RegistryError.objectConflict(id: object.id) }
            return
        }
        try validate(object)
        try object.insert(db)
    }

    /// Re-encodes an object in place (gc turning a delta into a full object, or rebasing
    /// it): the id stays, since the raw bytes do; encoding, base, stored size and path
    /// change, and the chain length of every version is recomputed. Write the new file
    /// at a new path first: the old file is unreferenced once this commits.
    public func replaceObject(_ object: ObjectRecord) throws {
        guard let existing = try ObjectRecord.fetchOne(db, key: object.id) else {
            throw RegistryError.unknownObject(object.id)
        }
        guard existing.rawSize == object.rawSize else {
            throw RegistryError.invalidObject(
                id: object.id,
                reason: "its raw size \(object.rawSize) differs from the registered \(existing.rawSize), "
                    + "so it is not the same safetensors file")
        }
        try validate(object)
        if let base = object.baseObject, try objectChain(base).contains(where: { $0.id == object.id }) {
            throw RegistryError.invalidObject(
                id: object.id, reason: "its base \(base) is decoded from it, which would make a cycle")
        }
        var replacement = object
        replacement.createdAt = existing.createdAt
        try replacement.update(db)
        try recomputeChainLengths()
    }

    /// ``replaceObject(_:)`` for the fields that re-encoding changes.
    public func reencodeObject(
        id: String, encoding: ObjectEncoding, baseObject: String?, storedSize: Int, path: String
    ) throws {
        guard var object = try object(id: id) else { throw RegistryError.unknownObject(id) }
        object.encoding = encoding
        object.baseObject = baseObject
        object.storedSize = storedSize
        object.path = path
        try replaceObject(object)
    }

    public func object(id: String) throws -> ObjectRecord? {
        try ObjectRecord.fetchOne(db, key: id)
    }

    /// All objects, oldest first.
    public func objects() throws -> [ObjectRecord] {
        try ObjectRecord.order(ObjectRecord.Columns.createdAt, ObjectRecord.Columns.id).fetchAll(db)
    }

    /// Deletes an object's row, refusing while a version uses it or a delta decodes
    /// against it. (The file is the caller's to delete, after this commits.)
    public func deleteObject(id: String) throws {
        guard try ObjectRecord.exists(db, key: id) else { throw RegistryError.unknownObject(id) }
        let users = try Int.fetchAll(
            db, sql: "SELECT id FROM versions WHERE object = ? ORDER BY id", arguments: [id])
        guard users.isEmpty else { throw RegistryError.objectInUse(id: id, versions: users) }
        let dependents = try dependents(ofObject: id)
        guard dependents.isEmpty else {
            throw RegistryError.objectHasDependents(id: id, dependents: dependents.map(\.id))
        }
        try ObjectRecord.deleteOne(db, key: id)
    }

    /// The objects that versions name directly.
    public func objectsReferencedByVersions() throws -> Set<String> {
        try String.fetchSet(db, sql: "SELECT DISTINCT object FROM versions")
    }

    /// The objects some version needs to be restored: the ones versions name and,
    /// transitively, their bases. Any other object is an orphan.
    public func objectsNeededByVersions() throws -> Set<String> {
        try String.fetchSet(db, sql: """
            WITH RECURSIVE needed(id) AS (
                SELECT object FROM versions
                UNION
                SELECT objects.base_object FROM objects JOIN needed ON objects.id = needed.id
                WHERE objects.base_object IS NOT NULL
            )
            SELECT id FROM needed
            """)
    }

    /// The delta objects whose base is `id`.
    public func dependents(ofObject id: String) throws -> [ObjectRecord] {
        try ObjectRecord.filter(ObjectRecord.Columns.baseObject == id).order(ObjectRecord.Columns.id).fetchAll(db)
    }

    /// What restoring object `id` decodes, in order: its full keyframe first, then each
    /// delta up to `id` itself (one element for a full object).
    public func objectChain(_ id: String) throws -> [ObjectRecord] {
        var chain: [ObjectRecord] = []
        var next: String? = id
        while let current = next {
            guard let object = try ObjectRecord.fetchOne(db, key: current) else {
                throw chain.isEmpty
                    ? RegistryError.unknownObject(current)
                    : RegistryError.unknownBaseObject(object: chain[chain.count - 1].id, base: current)
            }
            if chain.contains(where: { $0.id == object.id }) {
                throw RegistryError.invalidObject(id: id, reason: "its chain of base objects loops at \(object.id)")
            }
            chain.append(object)
            next = object.baseObject
        }
        return chain.reversed()
    }

    /// The number of delta hops from object `id` to its full keyframe (0 for a full object).
    public func chainLength(ofObject id: String) throws -> Int {
        try objectChain(id).count - 1
    }

    private func validate(_ object: ObjectRecord) throws {
        let id = object.id
        guard id.utf8.count == 64, id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw RegistryError.invalidObject(id: id, reason: "its id is not a SHA-256 in 64 lowercase hex digits")
        }
        guard object.rawSize >= 0, object.storedSize >= 0 else {
            throw RegistryError.invalidObject(id: id, reason: "its sizes must not be negative")
        }
        let segments = object.path.split(separator: "/", omittingEmptySubsequences: false)
        guard !object.path.isEmpty, !object.path.hasPrefix("/"), !segments.contains("..") else {
            throw RegistryError.invalidObject(
                id: id, reason: "its path \(object.path) is not relative to the store root")
        }
        switch (object.encoding, object.baseObject) {
        case (.full, nil):
            break
        case (.full, .some):
            throw RegistryError.invalidObject(id: id, reason: "a full object has no base object")
        case (.delta, nil):
            throw RegistryError.invalidObject(id: id, reason: "a delta object needs a base object")
        case (.delta, .some(let base)):
            guard base != id else {
                throw RegistryError.invalidObject(id: id, reason: "a delta object cannot be its own base")
            }
            guard try ObjectRecord.exists(db, key: base) else {
                throw RegistryError.unknownBaseObject(object: id, base: base)
            }
        }
    }

    /// Sets every version's chain_length from its object's current chain.
    func recomputeChainLengths() throws {
        var bases: [String: String?] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, base_object FROM objects") {
            let id: String = row["id"]
            let base: String? = row["base_object"]
            bases[id] = .some(base)
        }
        var lengths: [String: Int] = [:]
        func length(_ id: String) -> Int {
            if let known = lengths[id] { return known }
            var hops = 0
            var current = id
            while let base = bases[current] ?? nil, hops <= bases.count {
                hops += 1
                current = base
            }
            lengths[id] = hops
            return hops
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, object, chain_length FROM versions") {
            let version: Int = row["id"]
            let recorded: Int = row["chain_length"]
            let actual = length(row["object"])
            if actual != recorded {
                try db.execute(
                    sql: "UPDATE versions SET chain_length = ? WHERE id = ?", arguments: [actual, version])
            }
        }
    }
}

extension Registry {
    /// Registers an object; see ``RegistryTransaction/insertObject(_:)``.
    public func insertObject(_ object: ObjectRecord) throws {
        try transaction { try $0.insertObject(object) }
    }

    /// Re-encodes an object in place; see ``RegistryTransaction/replaceObject(_:)``.
    public func replaceObject(_ object: ObjectRecord) throws {
        try transaction { try $0.replaceObject(object) }
    }

    /// Re-encodes an object in place; see
    /// ``RegistryTransaction/reencodeObject(id:encoding:baseObject:storedSize:path:)``.
    public func reencodeObject(
        id: String, encoding: ObjectEncoding, baseObject: String?, storedSize: Int, path: String
    ) throws {
        try transaction {
            try $0.reencodeObject(id: id, encoding: encoding, baseObject: baseObject, storedSize: storedSize, path: path)
        }
    }

    public func object(id: String) throws -> ObjectRecord? {
        try read { try $0.object(id: id) }
    }

    /// All objects, oldest first.
    public func objects() throws -> [ObjectRecord] {
        try read { try $0.objects() }
    }

    /// Deletes an object's row; see ``RegistryTransaction/deleteObject(id:)``.
    public func deleteObject(id: String) throws {
        try transaction { try $0.deleteObject(id: id) }
    }

    public func objectsReferencedByVersions() throws -> Set<String> {
        try read { try $0.objectsReferencedByVersions() }
    }

    public func objectsNeededByVersions() throws -> Set<String> {
        try read { try $0.objectsNeededByVersions() }
    }

    public func dependents(ofObject id: String) throws -> [ObjectRecord] {
        try read { try $0.dependents(ofObject: id) }
    }

    public func objectChain(_ id: String) throws -> [ObjectRecord] {
        try read { try $0.objectChain(id) }
    }

    public func chainLength(ofObject id: String) throws -> Int {
        try read { try $0.chainLength(ofObject: id) }
    }
}
