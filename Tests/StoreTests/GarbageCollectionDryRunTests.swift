import Foundation
import Model
import Store
import XCTest

/// `garbageCollect(…, dryRun: true)`: what gc would delete and free, with nothing changed, and
/// the same numbers as the gc that follows.
final class GarbageCollectionDryRunTests: XCTestCase {
    /// Versions 0…6, each a delta of the one before, HEAD rolled back to 2, and a temporary file a crash left.
    private func storeWithHistory() throws -> TemporaryStore {
        let t = try TemporaryStore(settings: StoreSettings(keyframeInterval: 8))
        var model = t.baseModel
        for step in 1...6 {
            model = TemporaryStore.nudged(model, seed: UInt64(20 + step), onlyMLP: step % 2 == 0)
            try t.store.commit(model, CommitDetails(kind: "unlearn", reason: "x"), parent: try t.store.head(), expectedHead: try t.store.head())
        }
        try t.store.rollback(to: 2, reason: "keep 2 as HEAD")
        try Data(repeating: 7, count: 1000).write(to: t.store.layout.objects.appendingPathComponent(".tmp-left-by-a-crash"))
        return t
    }

    func testADryRunChangesNothingAndTellsExactlyWhatGCThenFrees() throws {
        let t = try storeWithHistory()
        defer { t.remove() }
        let before = try Self.snapshot(t.store)
        let diskBefore = try StoreUsageTests.bytes(under: t.store.layout.objects)

        let preview = try t.store.garbageCollect(keepLast: 2, keepVersions: [0], dryRun: true)
        XCTAssertEqual(try Self.snapshot(t.store), before, "a dry run changes no file and no row")
        XCTAssertTrue(preview.dryRun)
        XCTAssertEqual(preview.deletedVersions, [1, 3, 4])
        XCTAssertEqual(preview.removedObjects.map(\.versions), [[1], [3], [4]])
        XCTAssertEqual(preview.reencodedObjects.map(\.versions), [[2], [5]], "2 and 5 were deltas of deleted versions; 6 is based on 5")
        XCTAssertTrue(preview.reencodedObjects.allSatisfy { $0.bytesAfter > $0.bytesBefore }, "a full object is larger than a delta")
        XCTAssertEqual(preview.removedFiles.map { URL(fileURLWithPath: $0.path).lastPathComponent }, [".tmp-left-by-a-crash"])
        XCTAssertEqual(preview.removedFiles.map(\.bytes), [1000])
        XCTAssertEqual(preview.bytesFreed, preview.removedObjects.map(\.storedBytes).reduce(0, +) + 1000
                       - preview.reencodedObjects.map { $0.bytesAfter - $0.bytesBefore }.reduce(0, +))

        let collected = try t.store.garbageCollect(keepLast: 2, keepVersions: [0])
        XCTAssertFalse(collected.dryRun)
        var previewed = preview
        previewed.dryRun = false
        XCTAssertEqual(collected, previewed, "gc did what the dry run said")
        XCTAssertEqual(diskBefore - (try StoreUsageTests.bytes(under: t.store.layout.objects)), preview.bytesFreed,
                       "the objects folder shrank by the bytes the dry run announced")
        XCTAssertEqual(Set(try t.store.registry.versions().map(\.id)), [0, 2, 5, 6])
        XCTAssertTrue(try t.store.verify().isHealthy)
    }

    func testDeletingTheMiddleOfAChainCanCostMoreThanItFrees() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        var model = t.baseModel
        for seed in 1...2 {
            model = TemporaryStore.nudged(model, seed: UInt64(seed), onlyMLP: true)
            try t.store.commit(model, CommitDetails(kind: "unlearn", reason: "x"), parent: try t.store.head(), expectedHead: try t.store.head())
        }
        let diskBefore = try StoreUsageTests.bytes(under: t.store.layout.objects)
        let preview = try t.store.garbageCollect(keepLast: 1, keepVersions: [0], dryRun: true)
        XCTAssertEqual(preview.deletedVersions, [1])
        let reencoded = try XCTUnwrap(preview.reencodedObjects.first)
        XCTAssertEqual(preview.bytesFreed, preview.removedObjects[0].storedBytes - (reencoded.bytesAfter - reencoded.bytesBefore))
        XCTAssertLessThan(preview.bytesFreed, 0, "version 2's full object outweighs version 1's small delta")
        XCTAssertEqual(try t.store.garbageCollect(keepLast: 1, keepVersions: [0]).bytesFreed, preview.bytesFreed)
        XCTAssertEqual(try StoreUsageTests.bytes(under: t.store.layout.objects) - diskBefore, -preview.bytesFreed, "the objects folder grew")
    }

    func testNothingToDeleteFreesNothingAndGCWithoutWhatToKeepIsRefused() throws {
        let t = try storeWithHistory()
        defer { t.remove() }
        let preview = try t.store.garbageCollect(keepLast: 10, dryRun: true)
        XCTAssertEqual(preview.deletedVersions, [])
        XCTAssertEqual(preview.bytesFreed, 0)
        XCTAssertThrowsError(try t.store.garbageCollect(keepLast: nil, dryRun: true)) { error in
            XCTAssertTrue("\(error)".contains("--keep-last"), "\(error)")
        }
    }

    /// Every file under the store's objects and model folders with its content's hash, and the registry's rows.
    private static func snapshot(_ store: CheckpointStore) throws -> [String: String] {
        var files: [String: String] = [:]
        for folder in [store.layout.objects, store.layout.modelFiles] {
            for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)! {
                guard let data = FileManager.default.contents(atPath: url.path) else { continue }
                files[url.path] = sha256Hex(Array(data))
            }
        }
        files["versions"] = "\(try store.registry.versions())"
        files["objects"] = "\(try store.registry.objects())"
        files["head"] = "\(try store.registry.head() as Any)"
        files["head_log"] = "\(try store.registry.headLog().count)"
        return files
    }
}
