import Dispatch
import Foundation
import GRDB
import Model
import XCTest

@testable import Store

/// The SQLite registry on its own: schema, pragmas, publishing, HEAD and its log,
/// constraints, requests and the forget set, and what a second connection sees.
final class RegistryTests: XCTestCase {
    private var directory: URL!
    private var databasePath: String { directory.appendingPathComponent("lethe.sqlite").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lethe-registry-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Fixtures

    private func openRegistry(busyTimeout: TimeInterval = 5) throws -> Registry {
        try Registry(path: databasePath, busyTimeout: busyTimeout)
    }

    /// A fake SHA-256: 64 hex digits.
    private static func objectID(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    /// Dates with millisecond precision, as the registry stores them.
    private static let epoch = Date(timeIntervalSince1970: 1_760_000_000.125)

    private static func fullObject(_ n: Int) -> ObjectRecord {
        let id = objectID(n)
        return ObjectRecord(
            id: id, encoding: .full, rawSize: 4096, storedSize: 1500,
            path: "objects/\(id.prefix(2))/\(id.dropFirst(2)).zst", createdAt: epoch)
    }

    private static func deltaObject(_ n: Int, base: Int) -> ObjectRecord {
        let id = objectID(n)
        return ObjectRecord(
            id: id, encoding: .delta, baseObject: objectID(base), rawSize: 4096, storedSize: 300,
            path: "objects/\(id.prefix(2))/\(id.dropFirst(2)).zst", createdAt: epoch)
    }

    private static func version(
        _ id: Int, parent: Int?, object: Int, chainLength: Int = 0, kind: VersionRecord.Kind = .unlearn
    ) -> VersionRecord {
        VersionRecord(
            id: id, parent: parent, createdAt: epoch.addingTimeInterval(Double(id)), kind: kind,
            object: objectID(object), method: kind == .unlearn ? "dipo" : nil,
            hyperparameters: kind == .unlearn ? ["lr": .number(1e-4), "steps": .number(40)] : [:],
            metrics: ["forget_quality": .number(0.75)], note: "version \(id)", chainLength: chainLength)
    }

    private static func request(_ id: String, status: RequestRecord.Status = .queued) -> RequestRecord {
        RequestRecord(
            id: id, contentHash: "hash-of-\(id)", submittedBy: "privacy@example.org", reason: "GDPR art. 17",
            status: status, receivedAt: epoch, fileName: "\(id).json")
    }

    /// A registry with version 0 (a full object) published and HEAD on it.
    private func initialisedRegistry() throws -> Registry {
        let registry = try openRegistry()
        try registry.publishVersion(
            Self.version(0, parent: nil, object: 0, kind: .initial), object: Self.fullObject(0), requests: [],
            moveHead: true, expectedHead: nil, reason: "init", actor: "tests")
        return registry
    }

    private func assertThrows(
        _ expected: RegistryError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? RegistryError, expected, file: file, line: line)
        }
    }

    /// Asserts that SQLite itself refuses `sql`, with a message containing `fragment`.
    private func assertRefused(
        _ registry: Registry, _ sql: String, mentioning fragment: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try registry.execute(sql: sql), file: file, line: line) { error in
            guard case .database(let message)? = error as? RegistryError else {
                return XCTFail("expected a database error, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(message.contains(fragment), "\(message) does not mention \(fragment)", file: file, line: line)
        }
    }

    // MARK: - Schema and connection

    func testMigrationsCreateTheSchemaOnAnEmptyFileAndAreIdempotentOnReopen() throws {
        XCTAssertFalse(FileManager.default.fileExists(atPath: databasePath))
        let registry = try openRegistry()
        XCTAssertEqual(try registry.appliedMigrations(), RegistryMigrations.identifiers)
        XCTAssertEqual(
            Set(try registry.strings(sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")),
            ["grdb_migrations", "objects", "versions", "head", "head_log", "requests", "forget_items", "version_requests",
             "utility_references"])
        let indexes = Set(try registry.strings(sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        XCTAssertTrue(
            indexes.isSuperset(of: ["versions_parent", "requests_status", "forget_items_state", "objects_base_object"]))
        let triggers = Set(try registry.strings(sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        XCTAssertTrue(triggers.isSuperset(of: ["head_log_no_update", "head_log_no_delete", "head_update_logged"]))
        XCTAssertEqual(try registry.integrityCheck(), ["ok"])
        XCTAssertEqual(try registry.head(), nil)
        XCTAssertEqual(try registry.nextVersionID(), 0)

        try registry.publishVersion(
            Self.version(0, parent: nil, object: 0, kind: .initial), object: Self.fullObject(0), requests: [],
            moveHead: true, expectedHead: nil, reason: "init", actor: "tests")
        let schema = try registry.strings(sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        try registry.close()

        for _ in 0..<2 {
            let reopened = try openRegistry()
            XCTAssertEqual(try reopened.appliedMigrations(), RegistryMigrations.identifiers)
            XCTAssertEqual(
                try reopened.strings(sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"), schema)
            XCTAssertEqual(try reopened.head(), 0)
            XCTAssertEqual(try reopened.versions().map(\.id), [0])
            try reopened.close()
        }
    }

    func testARegistryOfVersion1KeepsItsForgetSetAndGainsTheFailedStateAndTheSubmitterUID() throws {
        let old = try DatabaseQueue(path: databasePath)
        try RegistryMigrations.migrator.migrate(old, upTo: "v1")
        try old.write { db in
            try db.execute(sql: "INSERT INTO requests (id, content_hash, status, file_name) VALUES ('r', 'h', 'failed', 'r.json')")
            try db.execute(sql: "INSERT INTO forget_items (id, request_id, kind, text, fingerprint) VALUES ('r/x', 'r', 'text', 'a fact', 'f')")
            XCTAssertThrowsError(try db.execute(sql: "UPDATE forget_items SET state = 'failed'"), "v1 knows no failed state")
        }
        try old.close()

        let registry = try openRegistry()
        XCTAssertEqual(try registry.appliedMigrations(), ["v1", "v2-forget-item-failed", "v3-request-submitter-uid", "v4-request-content",
                                                         "v5-utility-references"])
        let request = try XCTUnwrap(try registry.request(id: "r"))
        XCTAssertNil(request.submitterUID, "who handed an old request in is unknown: only an admin may withdraw it")
        XCTAssertNil(request.submitterName)
        XCTAssertNil(request.content, "an old request's content is read from its file")
        var item = try XCTUnwrap(try registry.forgetItem(id: "r/x"))
        XCTAssertEqual([item.text, item.fingerprint, item.state.rawValue], ["a fact", "f", "pending"])
        item.state = .failed
        try registry.updateForgetItem(item)
        XCTAssertEqual(try registry.forgetItems(state: .failed).map(\.id), ["r/x"])
        XCTAssertThrowsError(try registry.execute(sql: "DELETE FROM forget_items"), "the forget set still never shrinks")
        XCTAssertThrowsError(try registry.execute(sql: "UPDATE forget_items SET text = 'other'"), "content still immutable")
        XCTAssertThrowsError(try registry.execute(sql: "UPDATE forget_items SET state = 'lost'"))
        XCTAssertEqual(Set(try registry.strings(sql: "SELECT name FROM sqlite_master WHERE tbl_name = 'forget_items' AND type <> 'table' AND sql IS NOT NULL")),
                       ["forget_items_request_id", "forget_items_state", "forget_items_forgotten_in_version",
                        "forget_items_no_delete", "forget_items_content_immutable"])
        XCTAssertEqual(try registry.foreignKeyViolations(), [])
    }

    func testUtilityReferencesAreRecordedOncePerBaseVersionAndChecked() throws {
        let registry = try initialisedRegistry()
        let fingerprint = UtilityReferenceRecord.fingerprint(prompt: "Who?", completion: nil)
        XCTAssertNotEqual(fingerprint, UtilityReferenceRecord.fingerprint(prompt: "Who?", completion: ""), "a prompt alone is not an empty answer")
        let record = UtilityReferenceRecord(baseVersion: 0, fingerprint: fingerprint, reference: "Them.", baseProbability: 0.4, baseRecall: 1)
        try registry.insertUtilityReferences([record])
        var again = record
        again.reference = "Someone else."
        try registry.insertUtilityReferences([again])
        XCTAssertEqual(try registry.utilityReferences(baseVersion: 0), [fingerprint: record], "the first reference recorded stays")
        XCTAssertEqual(try registry.utilityReferences(baseVersion: 1), [:])
        XCTAssertThrowsError(try registry.insertUtilityReferences([UtilityReferenceRecord(
            baseVersion: 7, fingerprint: fingerprint, reference: "x", baseProbability: 0.1, baseRecall: nil)])) { error in
            XCTAssertEqual(error as? RegistryError, .unknownVersion(7))
        }
        var bad = record
        bad.fingerprint = UtilityReferenceRecord.fingerprint(prompt: "Where?", completion: nil)
        bad.baseProbability = 1.5
        XCTAssertThrowsError(try registry.insertUtilityReferences([bad]), "p̄ is a probability")
    }

    func testARollbackReopensForgottenItemsButFailedItemsStayFailed() throws {
        let registry = try initialisedRegistry()
        try registry.publishVersion(
            Self.version(1, parent: 0, object: 1, chainLength: 1), object: Self.deltaObject(1, base: 0), requests: [],
            moveHead: true, expectedHead: 0, reason: "forget", actor: "tests")
        try registry.insertRequest(Self.request("r", status: .failed), forgetItems: [
            .text(id: "r/forgotten", requestID: "r", text: "one fact"), .text(id: "r/failed", requestID: "r", text: "another fact"),
        ])
        try registry.transaction { transaction in
            for (id, state) in [("r/forgotten", ForgetItemRecord.State.forgotten), ("r/failed", .failed)] {
                var item = try XCTUnwrap(try transaction.forgetItem(id: id))
                (item.state, item.forgottenInVersion) = (state, 1)
                try transaction.updateForgetItem(item)
            }
        }
        let reopened = try registry.transaction { try $0.reopenForgetItems(notForgottenBy: 0) }
        XCTAssertEqual(reopened.map(\.id), ["r/forgotten"])
        XCTAssertEqual(try registry.forgetItem(id: "r/failed")?.state, .failed, "its request failed: nothing re-applies it")
    }

    func testARegistryMigratedByANewerLetheIsRefused() throws {
        let registry = try openRegistry()
        try registry.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
        try registry.close()
        assertThrows(.schemaTooNew(path: databasePath, unknownMigrations: ["v99"])) { _ = try openRegistry() }
    }

    func testConnectionsCreatingTheSameNewFileAtOnceAllSucceed() throws {
        let failures = LockedList<String>()
        for trial in 0..<20 {
            let path = directory.appendingPathComponent("race-\(trial).sqlite").path
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do {
                    let registry = try Registry(path: path)
                    if try registry.appliedMigrations() != RegistryMigrations.identifiers { failures.append("migrations missing") }
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        XCTAssertEqual(failures.values, [])
    }

    func testWALForeignKeysBusyTimeoutAndFullSynchronousAreOn() throws {
        let registry = try openRegistry()
        XCTAssertEqual(try registry.pragma("journal_mode"), "wal")
        XCTAssertEqual(try registry.pragma("foreign_keys"), "1")
        XCTAssertEqual(try registry.pragma("busy_timeout"), "5000")
        XCTAssertEqual(try registry.pragma("synchronous"), "2")  // FULL
        XCTAssertEqual(try openRegistry(busyTimeout: 2.5).pragma("busy_timeout"), "2500")
    }

    func testAWriterWaitsForAnotherConnectionsWriteUpToTheBusyTimeout() throws {
        let holder = try initialisedRegistry()
        let patient = try openRegistry(busyTimeout: 5)
        let impatient = try openRegistry(busyTimeout: 0.1)
        let holding = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            try? holder.transaction { transaction in
                try transaction.insertRequest(Self.request("r-slow"))
                holding.signal()
                Thread.sleep(forTimeInterval: 0.6)
            }
        }
        holding.wait()
        assertThrows(.busy(path: databasePath, timeout: 0.1)) { try impatient.insertRequest(Self.request("r-impatient")) }
        XCTAssertEqual(try patient.requests(), [])  // readers do not wait, and see the last commit
        try patient.insertRequest(Self.request("r-patient"))  // waits for the holder's commit
        group.wait()
        XCTAssertEqual(Set(try patient.requests().map(\.id)), ["r-slow", "r-patient"])
    }

    func testTimestampsAreUTCTextInSQLiteFormat() throws {
        let registry = try initialisedRegistry()
        let createdAt = try registry.strings(sql: "SELECT created_at FROM versions WHERE id = 0")
        XCTAssertEqual(createdAt, ["2025-10-09 08:53:20.125"])
        let logged = try registry.strings(sql: "SELECT created_at FROM head_log")
        XCTAssertEqual(logged.count, 1)
        XCTAssertNotNil(
            logged[0].range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$"#, options: .regularExpression), logged[0])
        // sqlite3 can compare them with its own date functions.
        XCTAssertEqual(
            try registry.strings(sql: "SELECT count(*) FROM versions WHERE created_at < datetime('now')"), ["1"])
    }

    // MARK: - Publishing and HEAD

    func testPublishingWithHeadMoveInsertsLinksMovesAndLogs() throws {
        let registry = try initialisedRegistry()
        XCTAssertEqual(try registry.head(), 0)
        let log0 = try registry.headLog()
        XCTAssertEqual(log0.count, 1)
        XCTAssertEqual(log0[0].fromVersion, nil)
        XCTAssertEqual(log0[0].toVersion, 0)
        XCTAssertEqual(log0[0].reason, "init")

        try registry.insertRequest(Self.request("r-1", status: .running))
        try registry.insertRequest(Self.request("r-2", status: .running))
        try registry.insertObject(Self.deltaObject(1, base: 0))
        var version1 = Self.version(1, parent: 0, object: 1, chainLength: 1)
        version1.metrics["loss"] = .number(.nan)
        version1.metrics["per_item"] = .object(["a": .array([.number(0.5), .bool(true), .null, .string("x")])])
        XCTAssertEqual(try registry.nextVersionID(), 1)
        try registry.publishVersion(
            version1, requests: ["r-1", "r-2", "r-1"], moveHead: true, expectedHead: 0,
            reason: "publish version 1 for r-1, r-2", actor: "daemon")

        XCTAssertEqual(try registry.head(), 1)
        let stored = try XCTUnwrap(try registry.version(1))
        XCTAssertTrue(stored.metrics["loss"]?.doubleValue?.isNaN ?? false)
        var comparable = stored
        comparable.metrics["loss"] = .null
        version1.metrics["loss"] = .null
        XCTAssertEqual(comparable, version1)
        XCTAssertEqual(try registry.versions().map(\.id), [0, 1])
        XCTAssertEqual(try registry.children(of: 0).map(\.id), [1])
        XCTAssertEqual(try registry.requests(servedBy: 1).map(\.id), ["r-1", "r-2"])
        XCTAssertEqual(try registry.versions(serving: "r-2").map(\.id), [1])
        let log = try registry.headLog()
        XCTAssertEqual(log.map(\.fromVersion), [nil, 0])
        XCTAssertEqual(log.map(\.toVersion), [0, 1])
        XCTAssertEqual(log.last?.actor, "daemon")
        XCTAssertEqual(try registry.nextVersionID(), 2)
    }

    func testPublishingWithoutHeadMoveLeavesHeadAndLogAlone() throws {
        let registry = try initialisedRegistry()
        try registry.publishVersion(
            Self.version(1, parent: 0, object: 0), requests: [], moveHead: false, expectedHead: nil,
            reason: "candidate", actor: "daemon")
        XCTAssertEqual(try registry.head(), 0)
        XCTAssertEqual(try registry.headLog().count, 1)
        XCTAssertEqual(try registry.version(1)?.object, Self.objectID(0))  // equal weights share an object
        XCTAssertEqual(try registry.moveHead(to: 1, reason: "promote", actor: "operator")?.toVersion, 1)
        XCTAssertNil(try registry.moveHead(to: 1, reason: "again", actor: "operator"))  // not a move: not logged
        assertThrows(.missingReasonOrActor(version: 0)) { try registry.moveHead(to: 0, reason: " ", actor: "operator") }
        XCTAssertEqual(try registry.headLog().map(\.toVersion), [0, 1])
        // A read-only snapshot cannot write.
        XCTAssertThrowsError(try registry.read { try $0.moveHead(to: 0, reason: "x", actor: "y") })
        XCTAssertEqual(try registry.head(), 1)
    }

    func testOptimisticHeadCheckFailsWithHeadMovedWhenHeadMoved() throws {
        let registry = try initialisedRegistry()
        try registry.publishVersion(
            Self.version(1, parent: 0, object: 0), requests: [], moveHead: true, expectedHead: 0,
            reason: "update", actor: "daemon")
        // A job starts from HEAD = 1; meanwhile an operator rolls back to 0.
        try registry.moveHead(to: 0, reason: "utility dropped", actor: "operator")
        try registry.insertRequest(Self.request("r-1", status: .running))

        assertThrows(.headMoved(expected: 1, actual: 0)) {
            try registry.publishVersion(
                Self.version(2, parent: 1, object: 2), object: Self.fullObject(2), requests: ["r-1"],
                moveHead: true, expectedHead: 1, reason: "update", actor: "daemon")
        }
        XCTAssertEqual(try registry.head(), 0)
        XCTAssertNil(try registry.version(2))
        XCTAssertNil(try registry.object(id: Self.objectID(2)))
        XCTAssertEqual(try registry.versions(serving: "r-1"), [])
        XCTAssertEqual(try registry.headLog().map(\.toVersion), [0, 1, 0])
        XCTAssertEqual(try registry.nextVersionID(), 2)
        XCTAssertEqual(try registry.headLog().last?.reason, "utility dropped")

        // Re-run on the new HEAD: accepted.
        try registry.publishVersion(
            Self.version(2, parent: 0, object: 2), object: Self.fullObject(2), requests: ["r-1"],
            moveHead: true, expectedHead: 0, reason: "update", actor: "daemon")
        XCTAssertEqual(try registry.head(), 2)
    }

    func testVersionIDsAreAssignedInOrderAndNeverReused() throws {
        let registry = try openRegistry()
        assertThrows(.versionIDUnavailable(id: 1, next: 0)) {
            try registry.publishVersion(
                Self.version(1, parent: nil, object: 0), object: Self.fullObject(0), requests: [],
                moveHead: true, expectedHead: nil, reason: "init", actor: "tests")
        }
        try registry.publishVersion(
            Self.version(0, parent: nil, object: 0), object: Self.fullObject(0), requests: [],
            moveHead: true, expectedHead: nil, reason: "init", actor: "tests")
        try registry.publishVersion(
            Self.version(1, parent: 0, object: 0), requests: [], moveHead: false, expectedHead: nil,
            reason: "x", actor: "tests")
        try registry.deleteVersion(1)
        XCTAssertEqual(try registry.nextVersionID(), 2)
        assertThrows(.versionIDUnavailable(id: 1, next: 2)) {
            try registry.publishVersion(
                Self.version(1, parent: 0, object: 0), requests: [], moveHead: false, expectedHead: nil,
                reason: "x", actor: "tests")
        }
        assertThrows(.unknownParent(version: 2, parent: 1)) {
            try registry.publishVersion(
                Self.version(2, parent: 1, object: 0), requests: [], moveHead: false, expectedHead: nil,
                reason: "x", actor: "tests")
        }
    }

    func testHeadLogRejectsUpdateAndDelete() throws {
        let registry = try initialisedRegistry()
        try registry.publishVersion(
            Self.version(1, parent: 0, object: 0), requests: [], moveHead: true, expectedHead: 0,
            reason: "update", actor: "daemon")
        assertRefused(registry, "UPDATE head_log SET reason = 'nothing to see'", mentioning: "append-only")
        assertRefused(registry, "DELETE FROM head_log WHERE id = 1", mentioning: "append-only")
        assertRefused(registry, "DELETE FROM head_log", mentioning: "append-only")
        XCTAssertEqual(try registry.headLog().count, 2)

        // HEAD itself only moves together with a log row.
        assertRefused(registry, "UPDATE head SET version = 0", mentioning: "must be logged")
        assertRefused(registry, "DELETE FROM head", mentioning: "cannot be deleted")
        assertRefused(
            registry, "INSERT INTO head_log (from_version, to_version, reason, actor) VALUES (0, 0, 'x', 'y')",
            mentioning: "current HEAD")
        // What docs/store.md shows for a manual rollback works.
        try registry.execute(sql: """
            INSERT INTO head_log (from_version, to_version, reason, actor)
                VALUES ((SELECT version FROM head), 0, 'manual rollback', 'dba');
            UPDATE head SET version = 0;
            """)
        XCTAssertEqual(try registry.head(), 0)
        XCTAssertEqual(try registry.headLog().last?.fromVersion, 1)
    }

    func testForeignKeyViolationsAreRefused() throws {
        let registry = try initialisedRegistry()
        let missing = Self.objectID(0xdead)

        // Through the API: typed errors, nothing written.
        assertThrows(.unknownObject(missing)) {
            var version = Self.version(1, parent: 0, object: 0)
            version.object = missing
            try registry.publishVersion(
                version, requests: [], moveHead: true, expectedHead: 0, reason: "x", actor: "tests")
        }
        assertThrows(.unknownBaseObject(object: Self.objectID(2), base: Self.objectID(0xbad))) {
            try registry.insertObject(Self.deltaObject(2, base: 0xbad))
        }
        assertThrows(.unknownRequest("nobody")) {
            try registry.publishVersion(
                Self.version(1, parent: 0, object: 0), requests: ["nobody"], moveHead: true, expectedHead: 0,
                reason: "x", actor: "tests")
        }
        XCTAssertEqual(try registry.versions().map(\.id), [0])

        // Through SQL, as from the sqlite3 shell: the schema refuses.
        assertRefused(
            registry,
            "INSERT INTO versions (id, kind, object, chain_length) VALUES (1, 'unlearn', '\(missing)', 0)",
            mentioning: "FOREIGN KEY")
        assertRefused(
            registry, """
                INSERT INTO objects (id, encoding, base_object, raw_size, stored_size, path)
                VALUES ('\(Self.objectID(3))', 'delta', '\(missing)', 1, 1, 'objects/x')
                """, mentioning: "FOREIGN KEY")
        assertRefused(registry, "DELETE FROM objects WHERE id = '\(Self.objectID(0))'", mentioning: "FOREIGN KEY")
        assertRefused(registry, "UPDATE versions SET parent = 7 WHERE id = 0", mentioning: "constraint")
        assertRefused(
            registry, """
                INSERT INTO objects (id, encoding, raw_size, stored_size, path)
                VALUES ('\(Self.objectID(4))', 'delta', 1, 1, 'objects/y')
                """, mentioning: "CHECK")
        XCTAssertEqual(try registry.foreignKeyViolations(), [])
    }

    func testATransactionThatThrowsInTheMiddleLeavesNothing() throws {
        struct Interrupted: Error {}
        let writer = try initialisedRegistry()
        let reader = try openRegistry()  // another connection, as another process would have
        try writer.insertRequest(Self.request("r-1", status: .running))

        XCTAssertThrowsError(
            try writer.transaction { transaction in
                try transaction.publishVersion(
                    Self.version(1, parent: 0, object: 1, chainLength: 1), object: Self.deltaObject(1, base: 0),
                    requests: ["r-1"], moveHead: true, expectedHead: 0, reason: "update", actor: "daemon")
                try transaction.updateRequestStatus(id: "r-1", to: .applied, version: 1)
                XCTAssertEqual(try transaction.head(), 1)
                throw Interrupted()
            }
        ) { XCTAssertTrue($0 is Interrupted) }

        for registry in [writer, reader] {
            XCTAssertEqual(try registry.head(), 0)
            XCTAssertEqual(try registry.versions().map(\.id), [0])
            XCTAssertNil(try registry.object(id: Self.objectID(1)))
            XCTAssertEqual(try registry.request(id: "r-1")?.status, .running)
            XCTAssertEqual(try registry.headLog().count, 1)
            XCTAssertEqual(try registry.nextVersionID(), 1)
        }

        // The same, committed: the other connection sees all of it.
        try writer.transaction { transaction in
            try transaction.publishVersion(
                Self.version(1, parent: 0, object: 1, chainLength: 1), object: Self.deltaObject(1, base: 0),
                requests: ["r-1"], moveHead: true, expectedHead: 0, reason: "update", actor: "daemon")
            try transaction.updateRequestStatus(id: "r-1", to: .applied, version: 1)
        }
        XCTAssertEqual(try reader.head(), 1)
        XCTAssertEqual(try reader.version(1)?.chainLength, 1)
        XCTAssertEqual(try reader.request(id: "r-1")?.status, .applied)
        XCTAssertEqual(try reader.request(id: "r-1")?.version, 1)
        XCTAssertEqual(try reader.requests(servedBy: 1).map(\.id), ["r-1"])
    }

    func testAReaderOnAnotherConnectionNeverSeesAHalfPublishedVersion() throws {
        let writer = try initialisedRegistry()
        let reader = try openRegistry()
        let stop = LockedList<Bool>()
        let problems = LockedList<String>()
        let snapshots = LockedList<Int>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            while stop.values.isEmpty {
                do {
                    try reader.read { transaction in
                        let versions = try transaction.versions()
                        guard let head = try transaction.head() else { return problems.append("no HEAD") }
                        if head != versions.last?.id { problems.append("HEAD \(head) is not the newest version") }
                        if try transaction.headLog().last?.toVersion != head { problems.append("HEAD \(head) not logged") }
                        for version in versions where version.id > 0 {
                            if try transaction.object(id: version.object) == nil {
                                problems.append("version \(version.id) without its object")
                            }
                            let served = try transaction.requests(servedBy: version.id)
                            if served.map(\.id) != ["r-\(version.id)"] || served.first?.status != .applied {
                                problems.append("version \(version.id) without its applied request")
                            }
                        }
                        snapshots.append(versions.count)
                    }
                } catch {
                    problems.append("\(error)")
                }
            }
        }
        for id in 1...20 {
            try writer.insertRequest(Self.request("r-\(id)", status: .running))
            try writer.transaction { transaction in
                try transaction.publishVersion(
                    Self.version(id, parent: id - 1, object: id), object: Self.fullObject(id), requests: ["r-\(id)"],
                    moveHead: true, expectedHead: id - 1, reason: "update \(id)", actor: "daemon")
                try transaction.updateRequestStatus(id: "r-\(id)", to: .applied, version: id)
            }
        }
        stop.append(true)
        group.wait()
        XCTAssertEqual(problems.values, [])
        XCTAssertGreaterThan(snapshots.values.count, 0)
        XCTAssertEqual(try reader.versions().count, 21)
    }

    // MARK: - Versions and objects

    func testDeletingVersionsRefusesHeadChildrenAndOpenRequestsAndReparents() throws {
        let registry = try initialisedRegistry()
        for id in 1...3 {
            try registry.publishVersion(
                Self.version(id, parent: id - 1, object: 0), requests: [], moveHead: true, expectedHead: id - 1,
                reason: "update", actor: "daemon")
        }
        try registry.insertRequest(Self.request("r-done", status: .running))
        try registry.updateRequestStatus(id: "r-done", to: .applied, version: 2)
        try registry.insertRequest(Self.request("r-open"))
        try registry.updateRequestStatus(id: "r-open", to: .queued, version: 1)
        XCTAssertEqual(try registry.versionsNamedByOpenRequests(), [1])

        assertThrows(.cannotDeleteHead(3)) { try registry.deleteVersion(3) }
        assertThrows(.versionHasChildren(version: 2, children: [3])) { try registry.deleteVersion(2) }
        assertThrows(.versionNamedByOpenRequests(version: 1, requests: ["r-open"])) {
            try registry.deleteVersion(1, reparentingChildrenTo: 0)
        }
        assertThrows(.invalidParent(version: 3, parent: 3)) { try registry.deleteVersion(2, reparentingChildrenTo: 3) }

        try registry.deleteVersion(2, reparentingChildrenTo: 1)
        XCTAssertEqual(try registry.versions().map(\.id), [0, 1, 3])
        XCTAssertEqual(try registry.version(3)?.parent, 1)
        XCTAssertEqual(try registry.request(id: "r-done")?.version, nil)  // the version it named is gone
        XCTAssertEqual(try registry.headLog().map(\.toVersion), [0, 1, 2, 3])  // the log keeps it
        XCTAssertEqual(try registry.nextVersionID(), 4)
        assertThrows(.unknownVersion(2)) { try registry.moveHead(to: 2, reason: "x", actor: "y") }
    }

    func testObjectsInsertIdempotentlyAndDeleteOnlyWhenUnused() throws {
        let registry = try initialisedRegistry()
        try registry.insertObject(Self.fullObject(0))  // the same object again: a no-op
        var conflicting = Self.fullObject(0)
        conflicting.storedSize += 1
        assertThrows(.objectConflict(id: Self.objectID(0))) { try registry.insertObject(conflicting) }
        assertThrows(.invalidObject(id: "ABC", reason: "its id is not a SHA-256 in 64 lowercase hex digits")) {
            var object = Self.fullObject(9)
            object.id = "ABC"
            try registry.insertObject(object)
        }
        assertThrows(.invalidObject(id: Self.objectID(9), reason: "its path ../escape is not relative to the store root")) {
            var object = Self.fullObject(9)
            object.path = "../escape"
            try registry.insertObject(object)
        }

        try registry.insertObject(Self.deltaObject(1, base: 0))
        try registry.insertObject(Self.deltaObject(2, base: 1))
        XCTAssertEqual(try registry.object(id: Self.objectID(2)), Self.deltaObject(2, base: 1))
        XCTAssertEqual(try registry.objects().count, 3)
        XCTAssertEqual(try registry.dependents(ofObject: Self.objectID(0)).map(\.id), [Self.objectID(1)])
        XCTAssertEqual(try registry.objectChain(Self.objectID(2)).map(\.id), [0, 1, 2].map(Self.objectID))
        XCTAssertEqual(try registry.chainLength(ofObject: Self.objectID(2)), 2)
        XCTAssertEqual(try registry.objectsReferencedByVersions(), [Self.objectID(0)])

        assertThrows(.objectInUse(id: Self.objectID(0), versions: [0])) { try registry.deleteObject(id: Self.objectID(0)) }
        assertThrows(.objectHasDependents(id: Self.objectID(1), dependents: [Self.objectID(2)])) {
            try registry.deleteObject(id: Self.objectID(1))
        }
        try registry.deleteObject(id: Self.objectID(2))
        try registry.deleteObject(id: Self.objectID(1))
        assertThrows(.unknownObject(Self.objectID(1))) { try registry.deleteObject(id: Self.objectID(1)) }
        XCTAssertEqual(try registry.objects().map(\.id), [Self.objectID(0)])
    }

    func testChainLengthsAreCheckedAndRecomputedWhenGcReencodes() throws {
        let registry = try initialisedRegistry()
        assertThrows(.chainLengthMismatch(version: 1, object: Self.objectID(1), recorded: 0, actual: 1)) {
            try registry.publishVersion(
                Self.version(1, parent: 0, object: 1, chainLength: 0), object: Self.deltaObject(1, base: 0),
                requests: [], moveHead: true, expectedHead: 0, reason: "x", actor: "y")
        }
        try registry.publishVersion(
            Self.version(1, parent: 0, object: 1, chainLength: 1), object: Self.deltaObject(1, base: 0),
            requests: [], moveHead: true, expectedHead: 0, reason: "x", actor: "y")
        try registry.publishVersion(
            Self.version(2, parent: 1, object: 2, chainLength: 2), object: Self.deltaObject(2, base: 1),
            requests: [], moveHead: true, expectedHead: 1, reason: "x", actor: "y")
        assertRefused(registry, "UPDATE versions SET chain_length = 0 WHERE id = 2", mentioning: "chain_length")
        XCTAssertEqual(try registry.objectsNeededByVersions(), Set([0, 1, 2].map(Self.objectID)))

        // gc deletes version 0 and makes object 1 a keyframe.
        try registry.reencodeObject(
            id: Self.objectID(1), encoding: .full, baseObject: nil, storedSize: 1400, path: "objects/00/1-full.zst")
        XCTAssertEqual(try registry.versions().map(\.chainLength), [0, 0, 1])
        try registry.deleteVersion(0, reparentingChildrenTo: nil)
        XCTAssertEqual(try registry.version(1)?.parent, nil)
        try registry.deleteObject(id: Self.objectID(0))
        XCTAssertEqual(try registry.objectChain(Self.objectID(2)).map(\.encoding), [.full, .delta])
        XCTAssertEqual(try registry.object(id: Self.objectID(1))?.path, "objects/00/1-full.zst")

        // A rebase that would make a cycle is refused.
        assertThrows(.invalidObject(
            id: Self.objectID(1), reason: "its base \(Self.objectID(2)) is decoded from it, which would make a cycle")
        ) {
            try registry.reencodeObject(
                id: Self.objectID(1), encoding: .delta, baseObject: Self.objectID(2), storedSize: 1, path: "objects/c")
        }

        // Pointing a version at another object.
        try registry.insertObject(Self.fullObject(5))
        try registry.updateVersionObject(version: 2, object: Self.objectID(5), chainLength: 0)
        XCTAssertEqual(try registry.version(2)?.object, Self.objectID(5))
        assertThrows(.chainLengthMismatch(version: 2, object: Self.objectID(2), recorded: 0, actual: 1)) {
            try registry.updateVersionObject(version: 2, object: Self.objectID(2), chainLength: 0)
        }
    }

    // MARK: - Requests and the forget set

    func testRequestsRoundTripAndMoveThroughTheirStatuses() throws {
        let registry = try initialisedRegistry()
        let request = RequestRecord(
            id: "r-1", contentHash: "c0ffee", submittedBy: "alice", reason: "take-down", receivedAt: Self.epoch,
            fileName: "take-down.json")
        try registry.insertRequest(request)
        XCTAssertEqual(try registry.request(id: "r-1"), request)
        XCTAssertEqual(try registry.request(contentHash: "c0ffee")?.id, "r-1")
        XCTAssertEqual(try registry.requests(status: .queued).map(\.id), ["r-1"])
        XCTAssertEqual(try registry.requests(status: .running), [])

        assertThrows(.duplicateRequest(id: "r-1")) { try registry.insertRequest(request) }
        assertThrows(.duplicateRequestContent(contentHash: "c0ffee", existingRequest: "r-1")) {
            var copy = request
            copy.id = "r-1-again"
            try registry.insertRequest(copy)
        }

        try registry.updateRequestStatus(id: "r-1", to: .running, at: Self.epoch.addingTimeInterval(1))
        let failed = try registry.updateRequestStatus(
            id: "r-1", to: .failed,
            error: ["message": .string("utility fell by 12% (budget 5%)"), "utility_drop": .number(0.12)],
            at: Self.epoch.addingTimeInterval(2))
        XCTAssertEqual(try registry.request(id: "r-1"), failed)
        XCTAssertEqual(failed.error?["utility_drop"], .number(0.12))
        XCTAssertEqual(failed.updatedAt, Self.epoch.addingTimeInterval(2))
        XCTAssertEqual(failed.receivedAt, Self.epoch)
        assertThrows(.invalidStatusTransition(request: "r-1", from: .failed, to: .running)) {
            try registry.updateRequestStatus(id: "r-1", to: .running)
        }
        assertThrows(.unknownRequest("r-404")) { try registry.updateRequestStatus(id: "r-404", to: .running) }
        assertThrows(.unknownVersion(9)) {
            try registry.insertRequest(Self.request("r-2"))
            try registry.updateRequestStatus(id: "r-2", to: .running, version: 9)
        }

        let withdraw = RequestRecord(
            id: "w-1", kind: .withdraw, contentHash: "w", status: .queued, receivedAt: Self.epoch, fileName: "w.json")
        try registry.insertRequest(withdraw)
        XCTAssertEqual(try registry.request(id: "w-1")?.kind, .withdraw)
        XCTAssertEqual(try registry.requests().map(\.id), ["r-1", "r-2", "w-1"])
    }

    func testForgetItemsRoundTripAndTheirFingerprintIsUnique() throws {
        let registry = try initialisedRegistry()
        let qa = ForgetItemRecord.qa(
            id: "r-1#0", requestID: "r-1", prompt: "Where was Basil Mahfouz born?", completion: "In Kuwait City.",
            createdAt: Self.epoch)
        let passage = ForgetItemRecord.text(
            id: "r-1#1", requestID: "r-1", text: "Basil Mahfouz writes war novels.", createdAt: Self.epoch)
        let inserted = try registry.insertRequest(Self.request("r-1"), forgetItems: [qa, passage])
        XCTAssertEqual(inserted, [qa, passage])
        XCTAssertEqual(try registry.forgetItem(id: "r-1#0"), qa)
        XCTAssertEqual(try registry.forgetItems(request: "r-1"), [qa, passage])
        XCTAssertEqual(try registry.forgetItems(state: .pending).map(\.id), ["r-1#0", "r-1#1"])

        // The same question with other spacing is the same item.
        let again = ForgetItemRecord.qa(
            id: "r-2#0", requestID: "r-2", prompt: "  Where was Basil\tMahfouz born? ", completion: "In Kuwait\nCity.")
        XCTAssertEqual(again.fingerprint, qa.fingerprint)
        XCTAssertNotEqual(
            ForgetItemRecord.fingerprint(kind: .text, prompt: nil, completion: nil, text: "a b"),
            ForgetItemRecord.fingerprint(kind: .qa, prompt: "a", completion: "b", text: nil))
        try registry.insertRequest(Self.request("r-2"))
        assertThrows(.duplicateForgetItem(fingerprint: qa.fingerprint, existingItem: "r-1#0")) {
            try registry.insertForgetItems([
                .text(id: "r-2#1", requestID: "r-2", text: "Something new."), again,
            ])
        }
        XCTAssertNil(try registry.forgetItem(id: "r-2#1"))  // all or nothing
        let new = try registry.insertForgetItems(
            [.text(id: "r-2#1", requestID: "r-2", text: "Something new."), again], skippingDuplicates: true)
        XCTAssertEqual(new.map(\.id), ["r-2#1"])
        assertRefused(
            registry, """
                INSERT INTO forget_items (id, request_id, kind, text, fingerprint)
                VALUES ('r-2#9', 'r-2', 'text', 'dup', '\(qa.fingerprint)')
                """, mentioning: "UNIQUE")
        assertRefused(
            registry, "INSERT INTO forget_items (id, request_id, kind, text, fingerprint) VALUES ('x', 'r-2', 'qa', 't', 'f')",
            mentioning: "CHECK")

        // State changes; content never does; nothing is deleted.
        var forgotten = qa
        forgotten.state = .forgotten
        forgotten.forgottenInVersion = 0
        forgotten.latestScores = ["probability": .number(0.01), "rouge_l": .number(0.1)]
        let updated = try registry.updateForgetItem(forgotten, at: Self.epoch.addingTimeInterval(5))
        XCTAssertEqual(try registry.forgetItem(id: qa.id), updated)
        XCTAssertEqual(updated.latestScores, forgotten.latestScores)
        XCTAssertEqual(updated.updatedAt, Self.epoch.addingTimeInterval(5))
        XCTAssertEqual(try registry.forgetItems(state: .forgotten).map(\.id), [qa.id])
        var rewritten = forgotten
        rewritten.completion = "Somewhere else."
        assertThrows(.forgetItemContentChanged(qa.id)) { try registry.updateForgetItem(rewritten) }
        assertThrows(.unknownForgetItem("nope")) {
            try registry.updateForgetItem(.text(id: "nope", requestID: "r-1", text: "n"))
        }
        assertRefused(registry, "UPDATE forget_items SET prompt = 'x' WHERE id = 'r-1#0'", mentioning: "never change")
        assertRefused(registry, "DELETE FROM forget_items", mentioning: "never shrinks")

        var withdrawn = try XCTUnwrap(try registry.forgetItem(id: "r-1#1"))
        withdrawn.state = .withdrawn
        var reopened = try XCTUnwrap(try registry.forgetItem(id: "r-1#0"))
        reopened.state = .pending
        try registry.updateForgetItems([withdrawn, reopened])
        XCTAssertEqual(try registry.forgetItems(state: .pending).map(\.id), ["r-1#0", "r-2#1"])
        XCTAssertEqual(try registry.forgetItems().count, 3)
    }

    func testErrorDescriptionsAreSentencesNamingWhatIsWrong() {
        XCTAssertEqual(
            RegistryError.headMoved(expected: 4, actual: 2).description,
            "HEAD moved while the update ran: it was version 4 when the job started and is version 2 now; "
                + "re-run the update on the new HEAD.")
        XCTAssertEqual(
            RegistryError.objectInUse(id: "ab12", versions: [3, 5]).description,
            "Object ab12 cannot be deleted: versions 3, 5 use it.")
        XCTAssertEqual(RegistryError.unknownVersion(7).description, "Version 7 does not exist.")
        XCTAssertEqual(RegistryError.cannotDeleteHead(3).errorDescription,
                       "Version 3 is HEAD and cannot be deleted; roll back to another version first.")
    }
}

/// A list that threads append to under a lock.
private final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var elements: [Element] = []

    func append(_ element: Element) {
        lock.lock()
        elements.append(element)
        lock.unlock()
    }

    var values: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return elements
    }
}
