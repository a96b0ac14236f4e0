import Foundation
import Model

extension CheckpointStore {
    /// Deletes every version except the `keepLast` newest, the `keepVersions` named, HEAD,
    /// and versions named by open (queued or running) requests. Kept versions whose delta
    /// chain runs through an object that only deleted versions needed are re-encoded as full
    /// objects first, so every kept version still decodes. Children of deleted versions are
    /// re-parented to their nearest kept ancestor. Then the objects no kept version needs and
    /// the files a crash left in `objects/` go. This is the only operation that deletes.
    ///
    /// With `dryRun` nothing changes and the report says what gc would do and free: it takes
    /// no lock, and encodes each object it would re-encode in memory to tell its size.
    public func garbageCollect(keepLast: Int?, keepVersions: Set<Int> = [], dryRun: Bool = false) throws -> GarbageCollectionReport {
        guard keepLast != nil || !keepVersions.isEmpty else {
            throw StoreError.invalidArgument("gc needs --keep-last N or --keep-versions LIST")
        }
        let lock = dryRun ? nil : try WriterLock(root: layout.root)
        defer { withExtendedLifetime(lock) {} }
        var report = GarbageCollectionReport(dryRun: dryRun)
        let versions = try registry.versions()
        var keep = keepVersions.intersection(versions.map(\.id))
        if let keepLast { keep.formUnion(versions.map(\.id).sorted().suffix(max(0, keepLast))) }
        if let head = try registry.head() { keep.insert(head) }
        keep.formUnion(try registry.versionsNamedByOpenRequests())
        let doomed = versions.filter { !keep.contains($0.id) }
        guard !doomed.isEmpty else { return report }
        report.deletedVersions = doomed.map(\.id).sorted()

        let objects = try registry.objects()
        let kept = versions.filter { keep.contains($0.id) }
        for object in try objectsLeavingKeptChains(kept, objects) {
            let naming = kept.filter { $0.object == object.id }.map(\.id)
            let stored = try ObjectCodec.encodeFull(try loadObject(object.id, forVersion: naming[0]), settings: settings.compression)
            report.reencodedObjects.append(.init(id: object.id, versions: naming, bytesBefore: object.storedSize, bytesAfter: stored.count))
            if !dryRun { try replace(object, withFullObject: stored) }
        }

        let orphans: [Orphan]
        if dryRun {
            let needed = Self.objectsNeeded(by: kept, objects: objects, fullObjects: Set(report.reencodedObjects.map(\.id)))
            orphans = objects.filter { !needed.contains($0.id) }.map(Orphan.objectRow) + leftoverFiles(besides: objects)
        } else {
            for version in doomed.reversed() {
                try registry.deleteVersion(version.id, reparentingChildrenTo: nearestKeptAncestor(of: version, keep: keep, versions: versions))
            }
            orphans = try removeOrphans()
        }
        for orphan in orphans {
            switch orphan {
            case .objectRow(let object):
                report.removedObjects.append(.init(id: object.id, encoding: object.encoding, storedBytes: object.storedSize,
                                                   versions: doomed.filter { $0.object == object.id }.map(\.id)))
            case .temporaryFile(let url, let bytes), .objectFile(let url, let bytes):
                report.removedFiles.append(.init(path: url.path, bytes: bytes))
            }
        }
        report.removedObjects.sort { ($0.versions.first ?? .max, $0.id) < ($1.versions.first ?? .max, $1.id) }
        report.removedFiles.sort { $0.path < $1.path }
        report.bytesFreed = report.removedObjects.reduce(0) { $0 + $1.storedBytes } + report.removedFiles.reduce(0) { $0 + $1.bytes }
            - report.reencodedObjects.reduce(0) { $0 + $1.bytesAfter - $1.bytesBefore }
        return report
    }

    /// The kept versions' objects whose base is no kept version's object, nearest to a keyframe
    /// first: their chains run through what gc deletes. (A kept object based on another kept
    /// object is left alone: that one is either re-encoded itself or already safe.)
    private func objectsLeavingKeptChains(_ kept: [VersionRecord], _ objects: [ObjectRecord]) throws -> [ObjectRecord] {
        let keptObjects = Set(kept.map(\.object))
        let leaving = objects.filter { object in
            keptObjects.contains(object.id) && object.baseObject.map { !keptObjects.contains($0) } ?? false
        }
        return try leaving.map { ($0, try registry.chainLength(ofObject: $0.id)) }
            .sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }.map(\.0)
    }

    /// Stores `object` as the full object `stored` under a new path: until the registry names
    /// it, the old file still serves the old row, which goes once the registry switched.
    private func replace(_ object: ObjectRecord, withFullObject stored: [UInt8]) throws {
        let path = layout.relativeObjectPath(id: object.id).replacingOccurrences(of: ".zst", with: "-full.zst")
        try DurableFile.write(stored, to: layout.url(relativePath: path), permissions: StoreFileModes.file)
        try registry.reencodeObject(id: object.id, encoding: .full, baseObject: nil, storedSize: stored.count, path: path)
        try? FileManager.default.removeItem(at: layout.url(relativePath: object.path))
    }

    private func nearestKeptAncestor(of version: VersionRecord, keep: Set<Int>, versions: [VersionRecord]) -> Int? {
        let byID = Dictionary(uniqueKeysWithValues: versions.map { ($0.id, $0) })
        var next = version.parent
        while let id = next, !keep.contains(id) { next = byID[id]?.parent }
        return next
    }
}
