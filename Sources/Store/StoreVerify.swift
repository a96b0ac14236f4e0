import Foundation
import Model

/// What `verify` found. `problems` is empty for a healthy store.
public struct VerifyReport: Codable, Sendable {
    public var versionsChecked = 0
    public var objectsChecked = 0
    public var problems: [String] = []
    /// Store files and folders others could read or the group could change; the store is
    /// healthy all the same.
    public var warnings: [LoosePermission] = []
    /// Files and rows removed by `repair` (temporary files, orphan objects).
    public var repaired: [String] = []
    public var isHealthy: Bool { problems.isEmpty }
}

extension CheckpointStore {
    /// Decodes every version's object through its chain and checks its SHA-256, checks
    /// that HEAD and every parent exist, and finds orphans: object files no registry row
    /// names, object rows no version needs, and temporary files left by a crash. Store
    /// files with looser modes than `StoreFileModes` are warnings. With
    /// `repair`, orphans are removed (under the writer lock, so no other writer's
    /// unpublished object is touched).
    public func verify(repair: Bool = false) throws -> VerifyReport {
        guard repair else { return try verify(repairingUnderLock: false) }
        let lock = try WriterLock(root: layout.root)
        defer { withExtendedLifetime(lock) {} }
        return try verify(repairingUnderLock: true)
    }

    /// `verify`, for a caller that already holds the writer lock when repairing.
    func verify(repairingUnderLock repair: Bool) throws -> VerifyReport {
        var report = VerifyReport()
        if repair { report.repaired = try removeOrphans().map(\.removal) }
        let versions = try registry.versions()
        let ids = Set(versions.map(\.id))
        if let head = try registry.head(), !ids.contains(head) { report.problems.append("HEAD names version \(head), which does not exist") }
        if try registry.head() == nil, !versions.isEmpty { report.problems.append("the store has versions but no HEAD") }
        var checkedObjects = Set<String>()
        for version in versions {
            report.versionsChecked += 1
            if let parent = version.parent, !ids.contains(parent) {
                report.problems.append("version \(version.id): parent \(parent) does not exist")
            }
            do {
                _ = try loadObject(version.object, forVersion: version.id)
                checkedObjects.insert(version.object)
            } catch {
                report.problems.append("\(error)")
            }
        }
        report.objectsChecked = checkedObjects.count
        if !repair {
            for orphan in try orphans() { report.problems.append("orphan: \(orphan)") }
        }
        report.warnings = loosePermissions()
        return report
    }

    /// Start-up recovery for writers (the daemon): removes what a crash left behind.
    @discardableResult
    public func recover() throws -> [String] {
        let lock = try WriterLock(root: layout.root)
        defer { withExtendedLifetime(lock) {} }
        return try removeOrphans().map(\.removal)
    }

    /// What a crash or a deletion left behind: a file, with its size, or an object row.
    enum Orphan: CustomStringConvertible {
        case temporaryFile(URL, bytes: Int), objectFile(URL, bytes: Int), objectRow(ObjectRecord)
        var description: String {
            switch self {
            case .temporaryFile(let url, _): "temporary file \(url.path)"
            case .objectFile(let url, _): "object file \(url.path) that no registry row names"
            case .objectRow(let object): "object \(object.id.prefix(12)) that no version needs"
            }
        }

        /// How `repair` lists it once removed.
        var removal: String {
            switch self {
            case .temporaryFile(let url, _), .objectFile(let url, _): url.path
            case .objectRow(let object): "object \(object.id.prefix(12))"
            }
        }
    }

    /// Temporary files and object files no registry row names, then object rows no version needs.
    func orphans() throws -> [Orphan] {
        let objects = try registry.objects()
        let needed = Self.objectsNeeded(by: try registry.versions(), objects: objects)
        return leftoverFiles(besides: objects) + objects.filter { !needed.contains($0.id) }.map(Orphan.objectRow)
    }

    /// The temporary files in `objects/` and the object files none of `objects` names.
    func leftoverFiles(besides objects: [ObjectRecord]) -> [Orphan] {
        let knownPaths = Set(objects.map { layout.url(relativePath: $0.path).standardizedFileURL.path })
        guard let enumerator = FileManager.default.enumerator(at: layout.objects, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        return enumerator.compactMap { item in
            guard let url = item as? URL, (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { return nil }
            if url.lastPathComponent.hasPrefix(".tmp-") { return .temporaryFile(url, bytes: Self.fileBytes(url)) }
            return knownPaths.contains(url.standardizedFileURL.path) ? nil : .objectFile(url, bytes: Self.fileBytes(url))
        }
    }

    /// The objects `versions` need: the ones they name and, transitively, their bases, except
    /// the bases of `fullObjects` (objects gc is about to re-encode as full ones).
    static func objectsNeeded(by versions: [VersionRecord], objects: [ObjectRecord], fullObjects: Set<String> = []) -> Set<String> {
        var needed = Set<String>()
        let byID = Dictionary(uniqueKeysWithValues: objects.map { ($0.id, $0) })
        for version in versions {
            var next: String? = version.object
            while let id = next, needed.insert(id).inserted { next = fullObjects.contains(id) ? nil : byID[id]?.baseObject }
        }
        return needed
    }

    /// Removes every orphan: rows first, dependents before their bases, then files. Returns
    /// what it removed, in that order.
    func removeOrphans() throws -> [Orphan] {
        let found = try orphans()
        let rows = try orderDependentsFirst(found.compactMap { if case .objectRow(let object) = $0 { object } else { nil } })
        for object in rows {
            try registry.deleteObject(id: object.id)
            try? FileManager.default.removeItem(at: layout.url(relativePath: object.path))
        }
        var files: [Orphan] = []
        for orphan in found {
            switch orphan {
            case .temporaryFile(let url, _), .objectFile(let url, _):
                try FileManager.default.removeItem(at: url)
                try DurableFile.flushDirectory(url.deletingLastPathComponent().path)
                files.append(orphan)
            case .objectRow: continue
            }
        }
        return rows.map(Orphan.objectRow) + files
    }

    private func orderDependentsFirst(_ objects: [ObjectRecord]) throws -> [ObjectRecord] {
        let byID = Dictionary(uniqueKeysWithValues: objects.map { ($0.id, $0) })
        var ordered: [ObjectRecord] = [], visited = Set<String>()
        func visit(_ object: ObjectRecord) throws {
            guard visited.insert(object.id).inserted else { return }
            for dependent in try registry.dependents(ofObject: object.id) { if let row = byID[dependent.id] { try visit(row) } }
            ordered.append(object)
        }
        for object in objects { try visit(object) }
        return ordered
    }
}
