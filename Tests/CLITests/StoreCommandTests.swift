import Foundation
import Model
import Store
import XCTest

/// Every store command through the real executable, on a real store in a temporary directory.
final class StoreCommandTests: StoreCommandTestCase {
    /// Adds a version through the library, as the daemon will.
    private func commitNudgedVersion(seed: UInt64) throws {
        let store = try CheckpointStore(root: URL(fileURLWithPath: storePath))
        let model = try store.loadModel(version: try store.head())
        var generator = SeededGenerator(seed: seed)
        for i in 0..<model.parameters.count where i % 3 == 0 { model.parameters[i] += 1e-3 * generator.nextGaussian() }
        try store.commit(model, CommitDetails(kind: "unlearn", method: "dipo", metrics: ["forget_rouge": .number(0.1)],
                                              note: "seed \(seed)", reason: "test"),
                         parent: try store.head(), expectedHead: try store.head())
    }

    func testInitRefusesAnExistingStoreAndAMissingFolder() throws {
        let again = try LetheProcess.run(["init", "--store", storePath, "--model", modelFolder.path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.standardError.contains("already holds a Lethe store"), again.standardError)
        let missing = try LetheProcess.run(["init", "--store", directory.appendingPathComponent("other").path, "--model", "/nonexistent"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.standardError.contains("/nonexistent"), missing.standardError)
    }

    func testHistoryListsVersionsAndMarksHead() throws {
        try commitNudgedVersion(seed: 1)
        let history = try LetheProcess.json(["history", "--store", storePath, "--json"])
        XCTAssertEqual(history["head"] as? Int, 1)
        XCTAssertEqual((history["versions"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [1, 0])
        let table = try LetheProcess.run(["history", "--store", storePath])
        XCTAssertEqual(table.status, 0)
        XCTAssertTrue(table.standardOutput.contains("VERSION"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.split(separator: "\n").contains { $0.hasPrefix("*") && $0.contains("unlearn") })
        let notAStore = try LetheProcess.run(["history", "--store", directory.appendingPathComponent("none").path])
        XCTAssertNotEqual(notAStore.status, 0)
        XCTAssertTrue(notAStore.standardError.contains("is not a Lethe store"), notAStore.standardError)
    }

    func testHistoryShowsEachVersionsStoredBytesAndTheStoreTotal() throws {
        try commitNudgedVersion(seed: 10)
        let history = try LetheProcess.json(["history", "--store", storePath, "--json"])
        let versions = try XCTUnwrap(history["versions"] as? [[String: Any]])
        let store = try CheckpointStore(root: URL(fileURLWithPath: storePath))
        var objectFiles = 0
        for version in versions {
            let id = try XCTUnwrap(version["id"] as? Int)
            let object = try XCTUnwrap(try store.registry.object(id: try XCTUnwrap(try store.registry.version(id)).object))
            let onDisk = try Self.size(of: store.layout.url(relativePath: object.path))
            XCTAssertEqual(version["stored_bytes"] as? Int, onDisk, "version \(id)")
            XCTAssertEqual(version["encoding"] as? String, id == 0 ? "full" : "delta")
            XCTAssertNotNil(version["note"] as? String, "the version's own fields are still there")
            objectFiles += onDisk
        }
        let total = try XCTUnwrap(history["store"] as? [String: Any])
        XCTAssertEqual(total["objects"] as? Int, 2)
        XCTAssertEqual(total["object_bytes"] as? Int, objectFiles)
        let registry = try XCTUnwrap(total["registry_bytes"] as? Int), model = try XCTUnwrap(total["model_file_bytes"] as? Int)
        XCTAssertGreaterThan(registry, 0)
        XCTAssertGreaterThan(model, 0, "config.json and the tokenizer files")
        XCTAssertEqual(total["total_bytes"] as? Int, objectFiles + registry + model)

        let table = try LetheProcess.run(["history", "--store", storePath])
        XCTAssertEqual(table.status, 0, table.standardError)
        let lines = table.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("*") && $0.contains(" delta") && $0.contains("KiB") }, table.standardOutput)
        let last = try XCTUnwrap(lines.last)
        XCTAssertNotNil(last.range(of: #"^store: [0-9.]+ (B|KiB|MiB) in all: 2 objects [0-9.]+ (B|KiB|MiB), registry [0-9.]+ (B|KiB|MiB), model files [0-9.]+ (B|KiB|MiB)$"#,
                                   options: .regularExpression), last)
    }

    func testJSONTimesAreISO8601UTCStrings() throws {
        try commitNudgedVersion(seed: 11)
        let iso = #"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"#
        let shown = try LetheProcess.json(["show", "1", "--store", storePath, "--json"])
        let times = [(shown["version"] as? [String: Any])?["created_at"], (shown["object"] as? [String: Any])?["created_at"]]
            + ((try LetheProcess.json(["history", "--store", storePath, "--json"])["versions"] as? [[String: Any]]) ?? []).map { $0["created_at"] }
        XCTAssertEqual(times.count, 4)
        for time in times {
            let text = try XCTUnwrap(time as? String, "\(time as Any) is a string")
            XCTAssertNotNil(text.range(of: iso, options: .regularExpression), text)
            let date = try XCTUnwrap(LetheJSON.date(fromTimestamp: text))
            XCTAssertLessThan(abs(date.timeIntervalSinceNow), 600, "\(text) is a time of this test run")
        }
    }

    func testShowDescribesAVersion() throws {
        try commitNudgedVersion(seed: 2)
        let shown = try LetheProcess.json(["show", "1", "--store", storePath, "--json"])
        let version = try XCTUnwrap(shown["version"] as? [String: Any])
        XCTAssertEqual(version["method"] as? String, "dipo")
        XCTAssertEqual(shown["is_head"] as? Bool, true)
        let unknown = try LetheProcess.run(["show", "7", "--store", storePath])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.standardError.contains("version 7 does not exist"), unknown.standardError)
    }

    func testDiffComparesTwoVersions() throws {
        try commitNudgedVersion(seed: 3)
        let diff = try LetheProcess.json(["diff", "0", "1", "--store", storePath, "--json"])
        let tensors = try XCTUnwrap(diff["tensors"] as? [[String: Any]])
        XCTAssertFalse(tensors.isEmpty)
        XCTAssertTrue(tensors.contains { ($0["relative_l2"] as? Double ?? 0) > 0 })
        XCTAssertEqual((diff["metrics_to"] as? [String: Any])?["forget_rouge"] as? Double, 0.1)
    }

    func testRollbackMovesHeadAndRequiresAReason() throws {
        try commitNudgedVersion(seed: 4)
        let rolled = try LetheProcess.json(["rollback", "0", "--reason", "utility dropped", "--store", storePath, "--json"])
        XCTAssertEqual(rolled["head"] as? Int, 0)
        XCTAssertEqual(rolled["from"] as? Int, 1)
        let noReason = try LetheProcess.run(["rollback", "1", "--store", storePath])
        XCTAssertNotEqual(noReason.status, 0)
        XCTAssertTrue(noReason.standardError.contains("--reason"), noReason.standardError)
    }

    func testExportWritesAFolderThatLoads() throws {
        try commitNudgedVersion(seed: 5)
        let out = directory.appendingPathComponent("exported")
        let exported = try LetheProcess.run(["export", "1", "--out", out.path, "--store", storePath])
        XCTAssertEqual(exported.status, 0, exported.standardError)
        let store = try CheckpointStore(root: URL(fileURLWithPath: storePath))
        let expected = try store.loadModel(version: 1), loaded = try ModelFolder.load(out)
        XCTAssertTrue(zip(expected.parameters, loaded.parameters).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    func testVerifyPassesThenFailsOnACorruptObjectAndRepairRemovesOrphans() throws {
        try commitNudgedVersion(seed: 6)
        XCTAssertEqual(try LetheProcess.run(["verify", "--store", storePath]).status, 0)
        let orphan = directory.appendingPathComponent("store/objects/.tmp-left-by-a-crash")
        try Data([1, 2, 3]).write(to: orphan)
        XCTAssertNotEqual(try LetheProcess.run(["verify", "--store", storePath]).status, 0)
        let repaired = try LetheProcess.json(["verify", "--repair", "--store", storePath, "--json"])
        XCTAssertEqual((repaired["repaired"] as? [String])?.count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: orphan.path))

        let store = try CheckpointStore(root: URL(fileURLWithPath: storePath))
        let object = try XCTUnwrap(try store.registry.objects().first)
        let url = store.layout.url(relativePath: object.path)
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: url)
        let failed = try LetheProcess.run(["verify", "--store", storePath])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertTrue(failed.standardOutput.contains("version "), failed.standardOutput)
    }

    func testVerifyWarnsAboutAnObjectOthersCanReadAndStillPasses() throws {
        let clean = try LetheProcess.json(["verify", "--store", storePath, "--json"])
        XCTAssertEqual((clean["warnings"] as? [Any])?.count, 0, "a store lethe init made is private")
        let store = try CheckpointStore(root: URL(fileURLWithPath: storePath))
        let object = store.layout.url(relativePath: try XCTUnwrap(try store.registry.objects().first).path).path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object)

        let verified = try LetheProcess.run(["verify", "--store", storePath])
        XCTAssertEqual(verified.status, 0, verified.standardError)
        XCTAssertTrue(verified.standardOutput.contains(
            "warning: \(object) has mode 0644, readable by others (a store file should be 0640 or stricter)"), verified.standardOutput)
        XCTAssertTrue(verified.standardOutput.contains("checked: ok, 1 warning"), verified.standardOutput)
        let json = try LetheProcess.json(["verify", "--store", storePath, "--json"])
        let warnings = try XCTUnwrap(json["warnings"] as? [[String: Any]])
        XCTAssertEqual(warnings.compactMap { $0["path"] as? String }, [object])
        XCTAssertEqual(warnings.first?["mode"] as? String, "0644")
        XCTAssertEqual(warnings.first?["problem"] as? String, "readable by others (a store file should be 0640 or stricter)")
    }

    func testGCDeletesOldVersionsButKeepsHead() throws {
        for seed in 7...9 { try commitNudgedVersion(seed: UInt64(seed)) }
        let collected = try LetheProcess.json(["gc", "--keep-last", "1", "--store", storePath, "--json"])
        XCTAssertEqual(collected["deleted_versions"] as? [Int], [0, 1, 2])
        XCTAssertEqual(try LetheProcess.run(["verify", "--store", storePath]).status, 0)
        let usage = try LetheProcess.run(["gc", "--store", storePath])
        XCTAssertNotEqual(usage.status, 0)
        XCTAssertTrue(usage.standardError.contains("--keep-last"), usage.standardError)
    }

    func testGCDryRunChangesNothingAndSaysWhatGCThenFrees() throws {
        for seed in 12...14 { try commitNudgedVersion(seed: UInt64(seed)) }
        let objects = directory.appendingPathComponent("store/objects")
        let before = try Self.files(under: objects)
        let preview = try LetheProcess.json(["gc", "--keep-last", "1", "--dry-run", "--store", storePath, "--json"])
        XCTAssertEqual(try Self.files(under: objects), before, "a dry run changes no object file")
        XCTAssertEqual(preview["dry_run"] as? Bool, true)
        XCTAssertEqual(preview["deleted_versions"] as? [Int], [0, 1, 2])
        XCTAssertEqual((preview["removed_objects"] as? [[String: Any]])?.compactMap { $0["versions"] as? [Int] }, [[0], [1], [2]])
        XCTAssertEqual((preview["reencoded_objects"] as? [[String: Any]])?.count, 1, "version 3's delta becomes a full object")
        let freed = try XCTUnwrap(preview["bytes_freed"] as? Int)

        let table = try LetheProcess.run(["gc", "--keep-last", "1", "--dry-run", "--store", storePath])
        XCTAssertEqual(table.status, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.hasPrefix("would delete versions 0, 1, 2\n"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("would re-encode object"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("; nothing was changed (--dry-run)"), table.standardOutput)
        XCTAssertEqual(try Self.files(under: objects), before)

        let collected = try LetheProcess.json(["gc", "--keep-last", "1", "--store", storePath, "--json"])
        XCTAssertEqual(collected["dry_run"] as? Bool, false)
        XCTAssertEqual(collected["bytes_freed"] as? Int, freed)
        XCTAssertEqual(before.values.reduce(0, +) - (try Self.files(under: objects)).values.reduce(0, +), freed)
        let again = try LetheProcess.run(["gc", "--keep-last", "1", "--store", storePath])
        XCTAssertTrue(again.standardOutput.hasPrefix("nothing to delete"), again.standardOutput)

        let negative = try LetheProcess.run(["gc", "--keep-last=-1", "--dry-run", "--store", storePath])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.standardError.contains("--keep-last must be at least 0"), negative.standardError)
    }

    private static func size(of url: URL) throws -> Int {
        try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
    }

    /// Every regular file under `folder` and its size.
    private static func files(under folder: URL) throws -> [String: Int] {
        var files: [String: Int] = [:]
        for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
        where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            files[url.path] = try size(of: url)
        }
        return files
    }
}
