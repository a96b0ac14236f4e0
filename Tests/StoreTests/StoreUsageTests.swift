import Foundation
import Model
import Store
import XCTest

/// `CheckpointStore.usage()`: each version's object bytes and the store's total, checked against the files on disk.
final class StoreUsageTests: XCTestCase {
    func testEachVersionShowsItsObjectFileAndTheTotalCountsEveryFileOnce() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        let nudged = TemporaryStore.nudged(t.baseModel, seed: 3)
        try t.store.commit(nudged, CommitDetails(kind: "unlearn", reason: "x"), parent: 0, expectedHead: 0)
        // Identical weights again: a version of its own, sharing version 1's object.
        try t.store.commit(nudged, CommitDetails(kind: "import", reason: "x"), parent: 1, expectedHead: 1)

        let usage = try t.store.usage()
        XCTAssertEqual(usage.versions.map(\.id), [0, 1, 2])
        XCTAssertEqual(usage.versions.map(\.encoding), [.full, .delta, .delta])
        for version in usage.versions {
            let object = try XCTUnwrap(try t.store.registry.object(id: version.object))
            XCTAssertEqual(version.storedBytes, try Self.size(of: t.store.layout.url(relativePath: object.path)), "version \(version.id)")
        }
        XCTAssertEqual(usage.versions[1].object, usage.versions[2].object)

        let total = usage.total
        XCTAssertEqual(total.objects, 2, "the shared object is counted once")
        XCTAssertEqual(total.objectBytes, try Self.bytes(under: t.store.layout.objects))
        XCTAssertEqual(total.objectBytes, usage.versions[0].storedBytes + usage.versions[1].storedBytes)
        let registryFiles = [t.store.layout.database] + t.store.layout.databaseCompanions
        XCTAssertEqual(total.registryBytes, try registryFiles.filter { FileManager.default.fileExists(atPath: $0.path) }.map(Self.size).reduce(0, +))
        XCTAssertGreaterThan(total.registryBytes, 0)
        XCTAssertEqual(total.modelFileBytes, try Self.bytes(under: t.store.layout.modelFiles))
        XCTAssertEqual(total.totalBytes, total.objectBytes + total.registryBytes + total.modelFileBytes)
    }

    func testAMissingModelFolderCostsNothingAndAFolderThatIsNoStoreIsAnError() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        try FileManager.default.removeItem(at: t.store.layout.modelFiles)
        let usage = try t.store.usage()
        XCTAssertEqual(usage.versions.count, 1)
        XCTAssertEqual(usage.total.modelFileBytes, 0)
        XCTAssertThrowsError(try CheckpointStore(root: t.directory.appendingPathComponent("nothing")).usage())
    }

    static func size(of url: URL) throws -> Int {
        try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
    }

    /// Every regular file under `folder`.
    static func bytes(under folder: URL) throws -> Int {
        let files = try XCTUnwrap(FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]))
        return try files.compactMap { $0 as? URL }.filter { try $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true }
            .map(size).reduce(0, +)
    }
}
