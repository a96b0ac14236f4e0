#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Model
import Store
import XCTest

/// The registry holds every forget-set item and submitter: under the common umask 022 the
/// store's files must still be 0640 and its folders 0750, and `verify` warns when they are not.
final class StoreFileModeTests: XCTestCase {
    private var savedUmask: mode_t = 0

    override func setUp() {
        savedUmask = umask(0o022)
    }

    override func tearDown() {
        umask(savedUmask)
    }

    func testEveryStoreFileIsPrivateUnderUmask022() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        var temporaryObjectModes: [String: mode_t] = [:]
        t.store.faultInjection = { step in
            guard step == .object(.temporaryFlushed) else { return }
            for (path, mode) in try Self.modes(under: t.store.layout.objects) where path.contains("/.tmp-") {
                temporaryObjectModes[path] = mode
            }
        }
        let version = try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 1), CommitDetails(kind: "unlearn", reason: "test"),
                                         parent: 0, expectedHead: 0)
        XCTAssertEqual(try t.store.registry.object(id: version.object)?.encoding, .delta)
        XCTAssertEqual(temporaryObjectModes.count, 1, "the delta object's temporary file was seen")
        // gc re-encodes the delta, whose base it deletes, as a new full object.
        XCTAssertEqual(try t.store.garbageCollect(keepLast: 1).reencodedObjects.map(\.id), [version.object])

        let modes = try Self.modes(under: t.root).merging(temporaryObjectModes) { $1 }
        let database = t.store.layout.database.path
        for companion in [database, database + "-wal", database + "-shm", t.store.layout.lock.path] {
            XCTAssertNotNil(modes[companion], "\(companion) exists")
        }
        XCTAssertEqual(modes[t.root.path].map { $0 & 0o7777 }, 0o750, "the store created its root")
        for (path, mode) in modes {
            let loosest: mode_t = mode & S_IFMT == S_IFDIR ? 0o750 : 0o640
            XCTAssertEqual(mode & 0o7777 & ~loosest, 0, "\(path) has mode \(String(mode & 0o7777, radix: 8))")
        }
        XCTAssertEqual(try t.store.verify().warnings, [])
    }

    func testVerifyWarnsAboutAnObjectOthersCanRead() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        let object = try XCTUnwrap(try t.store.registry.objects().first)
        let path = t.store.layout.url(relativePath: object.path).path
        XCTAssertEqual(chmod(path, 0o644), 0)
        let report = try t.store.verify()
        XCTAssertTrue(report.isHealthy, "a loose mode is a warning, not a problem")
        XCTAssertEqual(report.warnings.map(\.path), [path])
        XCTAssertEqual(report.warnings.first?.mode, "0644")
        XCTAssertEqual(report.warnings.first?.description,
                       "\(path) has mode 0644, readable by others (a store file should be 0640 or stricter)")
    }

    func testVerifyWarnsAboutAFolderOthersCanEnterOrTheGroupCanChange() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        XCTAssertEqual(chmod(t.store.layout.objects.path, 0o755), 0)
        XCTAssertEqual(chmod(t.store.layout.database.path, 0o660), 0)
        let warnings = try t.store.verify().warnings
        XCTAssertEqual(warnings.map(\.path), [t.store.layout.database.path, t.store.layout.objects.path])
        XCTAssertEqual(warnings.map(\.problem), ["writable by its group (a store file should be 0640 or stricter)",
                                                 "open to others (a store folder should be 0750 or stricter)"])
    }

    /// The `lstat` mode of the folder and of everything under it, by path.
    private static func modes(under folder: URL) throws -> [String: mode_t] {
        var found: [String: mode_t] = [:]
        var pending = [folder.standardizedFileURL.path]
        while let path = pending.popLast() {
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }  // a temporary file renamed meanwhile
            found[path] = status.st_mode
            if status.st_mode & S_IFMT == S_IFDIR {
                pending += try FileManager.default.contentsOfDirectory(atPath: path).map { path + "/" + $0 }
            }
        }
        return found
    }
}
