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
        if repair { report.repaired = try removeOrphans() }
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
        return try removeOrphans()
    }

    private enum Orphan: CustomStringConvertible {
        case temporaryFile(URL), objectFile(URL), objectRow(String)
        var description: String {
            switch self {
            case .temporaryFile(let url): "temporary file \(url.path)"
            case .objectFile(let url): "object file \(url.path) that no registry row names"
            case .objectRow(let id): "object \(id.prefix(12)) that no version needs"
            }
        }
    }

    private func orphans() throws -> [Orphan] {
        var found: [Orphan] = []
        let objects = try registry.objects()
        let knownPaths = Set(objects.map { layout.url(relativePath: $0.path).standardizedFileURL.path })
        if let enumerator = FileManager.default.enumerator(at: layout.objects, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                if url.lastPathComponent.hasPrefix(".tmp-") {
                    found.append(.temporaryFile(url))
                } else if !knownPaths.contains(url.standardizedFileURL.path) {
                    found.append(.objectFile(url))
                }
            }
        }
        // Rows: an object is needed by a version or as the base of a needed object.
        var needed = Set<String>()
        let byID = Dictionary(uniqueKeysWithValues: objects.map { ($0.id, $0) })
        for version in try registry.versions() {
            var next: String? = version.object
            while let id = next, needed.insert(id).inserted { next = byID[id]?.baseObject }
        }
        for object in objects where !needed.contains(object.id) { found.append(.objectRow(object.id)) }
        return found
    }

    private func removeOrphans() throws -> [String] {
        var removed: [String] = []
        let found = try orphans()
        // Rows first, dependents before their bases, then files.
        let rows = found.compactMap { if case .objectRow(let id) = $0 { id } else { nil } }
        for id in try orderDependentsFirst(rows) {
            let path = try registry.object(id: id)?.path
            try registry.deleteObject(id: id)
            if let path { try? FileManager.default.removeItem(at: layout.url(relativePath: path)) }
            removed.append("object \(id.prefix(12))")
        }
        for orphan in found {
            switch orphan {
            case .temporaryFile(let url), .objectFile(let url):
                try FileManager.default.removeItem(at: url)
                try DurableFile.flushDirectory(url.deletingLastPathComponent().path)
                removed.append(url.path)
            case .objectRow: continue
            }
        }
        return removed
    }

    private func orderDependentsFirst(_ ids: [String]) throws -> [String] {
        let set = Set(ids)
        var ordered: [String] = [], visited = Set<String>()
        func visit(_ id: String) throws {
            guard visited.insert(id).inserted else { return }
            for dependent in try registry.dependents(ofObject: id) where set.contains(dependent.id) { try visit(dependent.id) }
            ordered.append(id)
        }
        for id in ids { try visit(id) }
        return ordered
    }
}
