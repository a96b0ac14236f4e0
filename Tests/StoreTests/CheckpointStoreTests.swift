import Foundation
import Model
import Store
import XCTest

final class CheckpointStoreTests: XCTestCase {
    func testInitImportsTheFolderAsVersionZero() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        XCTAssertEqual(try t.store.head(), 0)
        XCTAssertEqual(try t.store.loadSafeTensorsBytes(version: 0), try TemporaryStore.bytes(of: t.baseModel))
        XCTAssertThrowsError(try CheckpointStore.create(at: t.root, importing: t.directory.appendingPathComponent("model"))) {
            XCTAssertEqual($0 as? StoreError, .alreadyAStore(path: t.root.path))
        }
    }

    func testVersionsRoundTripBitExactlyThroughChainsLongerThanTheKeyframeInterval() throws {
        let t = try TemporaryStore(settings: StoreSettings(keyframeInterval: 2))
        defer { t.remove() }
        var model = t.baseModel
        var expected = [0: try TemporaryStore.bytes(of: model)]
        for step in 1...7 {
            model = TemporaryStore.nudged(model, seed: UInt64(step), onlyMLP: step % 2 == 0)
            let version = try t.store.commit(model, CommitDetails(kind: "unlearn", reason: "test"), parent: try t.store.head(),
                                             expectedHead: try t.store.head())
            XCTAssertEqual(version.id, step)
            XCTAssertLessThanOrEqual(version.chainLength, 2)
            expected[step] = try TemporaryStore.bytes(of: model)
        }
        let objects = try t.store.registry.objects()
        XCTAssertTrue(objects.contains { $0.encoding == .delta }, "deltas are written")
        // Past the interval a chain starts again: a full object, or a delta against the
        // keyframe when that is smaller (these nudges are small, so it is).
        let chains = try (0...7).map { try XCTUnwrap(try t.store.registry.version($0)).chainLength }
        let restarts = zip(chains, chains.dropFirst()).filter { $0.0 == 2 }
        XCTAssertGreaterThanOrEqual(restarts.count, 2, "\(chains)")
        XCTAssertTrue(restarts.allSatisfy { $0.1 <= 1 }, "\(chains)")
        for (id, bytes) in expected { XCTAssertEqual(try t.store.loadSafeTensorsBytes(version: id), bytes, "version \(id)") }
        XCTAssertTrue(try t.store.verify().isHealthy)
    }

    func testPastTheIntervalAVersionIsADeltaAgainstTheKeyframeOnlyWhenThatIsSmaller() throws {
        let t = try TemporaryStore(settings: StoreSettings(keyframeInterval: 1))
        defer { t.remove() }
        let keyframe = try XCTUnwrap(try t.store.registry.version(0)).object
        let first = TemporaryStore.nudged(t.baseModel, seed: 1)
        try t.store.commit(first, CommitDetails(kind: "unlearn", reason: "a"), parent: 0, expectedHead: 0)
        // A small change again: against the keyframe, not a full object.
        let second = TemporaryStore.nudged(first, seed: 2)
        let rebased = try t.store.commit(second, CommitDetails(kind: "unlearn", reason: "b"), parent: 1, expectedHead: 1)
        let rebasedObject = try XCTUnwrap(try t.store.registry.object(id: rebased.object))
        XCTAssertEqual(rebasedObject.encoding, .delta)
        XCTAssertEqual(rebasedObject.baseObject, keyframe)
        XCTAssertEqual(rebased.chainLength, 1)
        // Weights that compress to nothing on their own but differ from the keyframe's everywhere:
        // a delta would cost more than the full object.
        let unrelated = LlamaModel(config: t.baseModel.config)
        unrelated.parameters.update(repeating: 0.5)
        let replaced = try t.store.commit(unrelated, CommitDetails(kind: "import", reason: "c"), parent: 2, expectedHead: 2)
        XCTAssertEqual(try t.store.registry.object(id: replaced.object)?.encoding, .full)
        XCTAssertEqual(replaced.chainLength, 0)
        XCTAssertEqual(try t.store.loadSafeTensorsBytes(version: 2), try TemporaryStore.bytes(of: second))
        XCTAssertEqual(try t.store.loadSafeTensorsBytes(version: 3), try TemporaryStore.bytes(of: unrelated))
        XCTAssertTrue(try t.store.verify().isHealthy)
    }

    func testTheParentsWeightsHandedToCommitGiveTheSameDeltaAndOthersAreNotUsedAsItsBase() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        let parentBytes = try t.store.loadSafeTensorsBytes(version: 0)
        let child = TemporaryStore.nudged(t.baseModel, seed: 1)
        let handed = try t.store.commit(child, CommitDetails(kind: "unlearn", reason: "a"), parent: 0, parentWeights: parentBytes, expectedHead: 0)
        let handedObject = try XCTUnwrap(try t.store.registry.object(id: handed.object))
        XCTAssertEqual(handedObject.encoding, .delta)
        XCTAssertEqual(handedObject.baseObject, try t.store.registry.version(0)?.object)
        XCTAssertEqual(try t.store.loadSafeTensorsBytes(version: handed.id), try TemporaryStore.bytes(of: child))

        // Bytes that are not the parent's (here the child's own) are ignored: the delta is still against the parent.
        let grandchild = TemporaryStore.nudged(child, seed: 2)
        let wrong = try t.store.commit(grandchild, CommitDetails(kind: "unlearn", reason: "b"), parent: handed.id,
                                       parentWeights: parentBytes, expectedHead: handed.id)
        XCTAssertEqual(try t.store.loadSafeTensorsBytes(version: wrong.id), try TemporaryStore.bytes(of: grandchild))
        XCTAssertEqual(try t.store.registry.object(id: wrong.object)?.baseObject, handed.object)
        XCTAssertTrue(try t.store.verify().isHealthy)
    }

    func testCommitRefusesWhenHeadMovedMeanwhile() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        let first = try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 1), CommitDetails(kind: "unlearn", reason: "a"),
                                       parent: 0, expectedHead: 0)
        try t.store.rollback(to: 0, reason: "bad update")
        XCTAssertThrowsError(try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 2), CommitDetails(kind: "unlearn", reason: "b"),
                                                parent: first.id, expectedHead: first.id)) { error in
            XCTAssertEqual(error as? RegistryError, .headMoved(expected: first.id, actual: 0))
        }
        XCTAssertEqual(try t.store.head(), 0)
        let report = try t.store.verify()
        XCTAssertTrue(report.isHealthy, "the refused version's object is removed at once: \(report.problems)")
    }

    func testRollbackReopensItemsNoVersionOfTheNewLineageForgot() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        try t.store.registry.insertRequest(RequestRecord(id: "r", contentHash: "h", fileName: "r.json"), forgetItems: [
            .qa(id: "r/a", requestID: "r", prompt: "A?", completion: "a"), .qa(id: "r/b", requestID: "r", prompt: "B?", completion: "b"),
            .qa(id: "r/c", requestID: "r", prompt: "C?", completion: "c"),
        ])
        let first = try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 1), CommitDetails(kind: "unlearn", reason: "a"),
                                       parent: 0, expectedHead: 0) { transaction, version in
            var item = try transaction.forgetItem(id: "r/a")!
            (item.state, item.forgottenInVersion) = (.forgotten, version.id)
            try transaction.updateForgetItem(item)
        }
        let second = try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 2), CommitDetails(kind: "unlearn", reason: "b"),
                                        parent: first.id, expectedHead: first.id) { transaction, version in
            for id in ["r/b", "r/c"] {
                var item = try transaction.forgetItem(id: id)!
                (item.state, item.forgottenInVersion) = (id == "r/c" ? .withdrawn : .forgotten, version.id)
                try transaction.updateForgetItem(item)
            }
        }
        XCTAssertEqual(try t.store.registry.read { try $0.lineage(of: second.id) }, [second.id, first.id, 0])
        let reopened = try t.store.rollback(to: first.id, reason: "utility dropped")
        XCTAssertEqual(reopened.map(\.id), ["r/b"], "forgotten by the version rolled past; r/c is withdrawn, r/a forgotten by HEAD")
        XCTAssertEqual(try t.store.registry.forgetItem(id: "r/b")?.state, .pending)
        XCTAssertEqual(try t.store.registry.forgetItem(id: "r/b")?.forgottenInVersion, second.id, "the history stays")
        XCTAssertEqual(try t.store.registry.forgetItem(id: "r/c")?.state, .withdrawn)
        XCTAssertEqual(try t.store.rollback(to: 0, reason: "back to base").map(\.id), ["r/a"])
    }

    func testWhatCommitRecordsAlongsideIsPublishedWithTheVersionOrNotAtAll() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        try t.store.registry.insertRequest(RequestRecord(id: "r", contentHash: "h", fileName: "r.json"))
        struct Refused: Error {}
        XCTAssertThrowsError(try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 1), CommitDetails(kind: "unlearn", reason: "a"),
                                                parent: 0, expectedHead: 0) { transaction, _ in
            try transaction.updateRequestStatus(id: "r", to: .running)
            throw Refused()
        })
        XCTAssertEqual(try t.store.head(), 0)
        XCTAssertEqual(try t.store.registry.request(id: "r")?.status, .queued)
        XCTAssertTrue(try t.store.verify().isHealthy)
    }

    func testRollbackMovesHeadLogsItAndDeletesNothing() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 1), CommitDetails(kind: "unlearn", reason: "update"),
                           parent: 0, expectedHead: 0)
        try t.store.rollback(to: 0, reason: "utility dropped", actor: "alice")
        XCTAssertEqual(try t.store.head(), 0)
        XCTAssertEqual(try t.store.registry.versions().count, 2)
        let last = try XCTUnwrap(try t.store.registry.headLog().last)
        XCTAssertEqual(last.fromVersion, 1)
        XCTAssertEqual(last.toVersion, 0)
        XCTAssertEqual(last.reason, "utility dropped")
        XCTAssertEqual(last.actor, "alice")
        XCTAssertThrowsError(try t.store.rollback(to: 9, reason: "x")) { XCTAssertEqual($0 as? StoreError, .unknownVersion(9)) }
        XCTAssertThrowsError(try t.store.rollback(to: 1, reason: "  "))
    }

    func testDiffReportsChangedTensorsOnly() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 3, onlyMLP: true), CommitDetails(kind: "unlearn", reason: "x"),
                           parent: 0, expectedHead: 0)
        let diff = try t.store.diff(0, 1)
        XCTAssertEqual(diff.tensors.count, t.baseModel.layout.tensors.count)
        for change in diff.tensors {
            if change.name.contains("mlp") {
                XCTAssertGreaterThan(change.relativeL2, 0, change.name)
            } else {
                XCTAssertEqual(change.maxAbsChange, 0, change.name)
            }
        }
    }

    func testExportWritesALoadableFolderWithTheImportedFiles() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        let updated = TemporaryStore.nudged(t.baseModel, seed: 4)
        try t.store.commit(updated, CommitDetails(kind: "unlearn", reason: "x"), parent: 0, expectedHead: 0)
        let out = t.directory.appendingPathComponent("export")
        try t.store.export(version: 1, to: out)
        let loaded = try ModelFolder.load(out)
        XCTAssertTrue(zip(loaded.parameters, updated.parameters).allSatisfy { $0.bitPattern == $1.bitPattern })
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("tokenizer.json").path))
    }

    func testAFlippedByteInAnyObjectFailsVerifyNamingTheVersionAndLoadRefusesIt() throws {
        let t = try TemporaryStore()
        defer { t.remove() }
        let nudged = TemporaryStore.nudged(t.baseModel, seed: 5)
        try t.store.commit(nudged, CommitDetails(kind: "unlearn", reason: "x"), parent: 0, expectedHead: 0)
        // And a version moved on a change grid, stored as shifted planes.
        let onGrid = LlamaModel(config: nudged.config)
        for index in 0..<nudged.layout.count {
            onGrid.parameters[index] = OrderedFloatBits.float(key: OrderedFloatBits.key(nudged.parameters[index]) &+ Int32(index % 5 - 2) << 14)
        }
        let gridVersion = try t.store.commit(onGrid, CommitDetails(kind: "unlearn", reason: "y"), parent: 1, expectedHead: 1)
        let gridObject = try XCTUnwrap(try t.store.registry.object(id: gridVersion.object))
        XCTAssertEqual(gridObject.encoding, .delta)
        XCTAssertLessThan(gridObject.storedSize, gridObject.rawSize / 8, "about 2.3 bits a weight")
        for object in try t.store.registry.objects() {
            let url = t.store.layout.url(relativePath: object.path)
            let original = try Data(contentsOf: url)
            for position in [original.count / 2, original.count - 5] {
                var corrupted = original
                corrupted[position] ^= 0x40
                try corrupted.write(to: url)
                let version = try XCTUnwrap(try t.store.registry.versions().first { $0.object == object.id }).id
                let report = try t.store.verify()
                XCTAssertFalse(report.isHealthy)
                XCTAssertTrue(report.problems.contains { $0.contains("version \(version)") }, "\(report.problems)")
                XCTAssertThrowsError(try t.store.loadSafeTensorsBytes(version: version))
            }
            try original.write(to: url)
        }
        XCTAssertTrue(try t.store.verify().isHealthy)
    }

    func testACrashAtEveryPublishStepLeavesAConsistentStoreThatRecoveryCleans() throws {
        let steps: [CheckpointStore.PublishStep] = DurableFile.Step.allCases.map { .object($0) } + [.registryCommitted]
        struct SimulatedCrash: Error {}
        for step in steps {
            let t = try TemporaryStore()
            defer { t.remove() }
            t.store.faultInjection = { if $0 == step { throw SimulatedCrash() } }
            XCTAssertThrowsError(try t.store.commit(TemporaryStore.nudged(t.baseModel, seed: 6), CommitDetails(kind: "unlearn", reason: "x"),
                                                    parent: 0, expectedHead: 0))
            let reopened = try CheckpointStore(root: t.root)
            try reopened.recover()
            let report = try reopened.verify()
            XCTAssertTrue(report.isHealthy, "after a crash at \(step): \(report.problems)")
            let head = try reopened.head()
            XCTAssertEqual(head, step == .registryCommitted ? 1 : 0, "\(step)")
            XCTAssertNoThrow(try reopened.loadSafeTensorsBytes(version: head))
        }
    }

    func testGarbageCollectionKeepsHeadReencodesDependentsAndEverythingKeptStillLoads() throws {
        let t = try TemporaryStore(settings: StoreSettings(keyframeInterval: 8))
        defer { t.remove() }
        var model = t.baseModel
        var expected = [0: try TemporaryStore.bytes(of: model)]
        for step in 1...6 {
            model = TemporaryStore.nudged(model, seed: UInt64(10 + step))
            try t.store.commit(model, CommitDetails(kind: "unlearn", reason: "x"), parent: try t.store.head(), expectedHead: try t.store.head())
            expected[step] = try TemporaryStore.bytes(of: model)
        }
        try t.store.rollback(to: 2, reason: "keep 2 as HEAD")
        let report = try t.store.garbageCollect(keepLast: 2, keepVersions: [0])
        XCTAssertEqual(report.deletedVersions, [1, 3, 4])
        XCTAssertFalse(report.reencodedObjects.isEmpty, "versions 2, 5 and 6 depended on deleted deltas")
        XCTAssertEqual(Set(try t.store.registry.versions().map(\.id)), [0, 2, 5, 6])
        XCTAssertEqual(try t.store.head(), 2)
        for id in [0, 2, 5, 6] { XCTAssertEqual(try t.store.loadSafeTensorsBytes(version: id), expected[id], "version \(id)") }
        XCTAssertEqual(try t.store.registry.version(5)?.parent, 2, "re-parented to the nearest kept ancestor")
        XCTAssertTrue(try t.store.verify().isHealthy)
    }
}
