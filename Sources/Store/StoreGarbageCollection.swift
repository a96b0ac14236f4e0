import Foundation
import Model

/// What `gc` removed and re-encoded.
public struct GarbageCollectionReport: Codable, Sendable {
    public var deletedVersions: [Int] = []
    public var reencodedObjects: [String] = []
    public var removed: [String] = []
    public var bytesFreed = 0
}

extension CheckpointStore {
    /// Deletes every version except the `keepLast` newest, the `keepVersions` named, HEAD,
    /// and versions named by open (queued or running) requests. Kept versions whose delta
    /// chain runs through an object that only deleted versions needed are re-encoded as full
    /// objects first, so every kept version still decodes. Children of deleted versions are
    /// re-parented to their nearest kept ancestor. This is the only operation that deletes.
    public func garbageCollect(keepLast: Int?, keepVersions: Set<Int> = []) throws -> GarbageCollectionReport {
        guard keepLast != nil || !keepVersions.isEmpty else {
            throw StoreError.invalidArgument("gc needs --keep-last N or --keep-versions LIST")
        }
        let lock = try WriterLock(root: layout.root)
        defer { withExtendedLifetime(lock) {} }
        var report = GarbageCollectionReport()
        let versions = try registry.versions()
        var keep = keepVersions.intersection(versions.map(\.id))
        if let keepLast { keep.formUnion(versions.map(\.id).sorted().suffix(max(0, keepLast))) }
        if let head = try registry.head() { keep.insert(head) }
        keep.formUnion(try registry.versionsNamedByOpenRequests())
        let doomed = versions.filter { !keep.contains($0.id) }
        guard !doomed.isEmpty else { return report }

        // Re-encode kept objects whose chain leaves the kept set, nearest to a keyframe first,
        // so that a later object's chain already runs through re-encoded ones.
        let keptObjects = Set(versions.filter { keep.contains($0.id) }.map(\.object))
        var ordered: [(object: ObjectRecord, depth: Int)] = []
        for id in keptObjects {
            guard let object = try registry.object(id: id) else { continue }
            ordered.append((object, try registry.chainLength(ofObject: object.id)))
        }
        for (object, _) in ordered.sorted(by: { ($0.depth, $0.object.id) < ($1.depth, $1.object.id) }) {
            guard try chainLeavesKeptObjects(object.id, keptObjects) else { continue }
            let version = versions.first { $0.object == object.id }!.id
            let bytes = try loadObject(object.id, forVersion: version)
            let stored = try ObjectCodec.encodeFull(bytes, settings: settings.compression)
            // A new path: until the registry names it, the old file still serves the old row.
            let path = layout.relativeObjectPath(id: object.id).replacingOccurrences(of: ".zst", with: "-full.zst")
            try DurableFile.write(stored, to: layout.url(relativePath: path), permissions: StoreFileModes.file)
            try registry.reencodeObject(id: object.id, encoding: .full, baseObject: nil, storedSize: stored.count, path: path)
            try? FileManager.default.removeItem(at: layout.url(relativePath: object.path))
            report.reencodedObjects.append(object.id)
        }

        for version in doomed.sorted(by: { $0.id > $1.id }) {
            try registry.deleteVersion(version.id, reparentingChildrenTo: nearestKeptAncestor(of: version, keep: keep, versions: versions))
            report.deletedVersions.append(version.id)
        }
        let before = try registry.objects().reduce(0) { $0 + $1.storedSize }
        report.removed = try verify(repairingUnderLock: true).repaired
        report.bytesFreed = before - (try registry.objects().reduce(0) { $0 + $1.storedSize })
        report.deletedVersions.sort()
        return report
    }

    private func chainLeavesKeptObjects(_ id: String, _ kept: Set<String>) throws -> Bool {
        var next = try registry.object(id: id)?.baseObject
        while let base = next {
            if !kept.contains(base) { return true }
            next = try registry.object(id: base)?.baseObject
        }
        return false
    }

    private func nearestKeptAncestor(of version: VersionRecord, keep: Set<Int>, versions: [VersionRecord]) -> Int? {
        let byID = Dictionary(uniqueKeysWithValues: versions.map { ($0.id, $0) })
        var next = version.parent
        while let id = next, !keep.contains(id) { next = byID[id]?.parent }
        return next
    }
}
