import Daemon
import Foundation
import Store
import XCTest

/// `lethe submit` and `lethe forget-set` through the real executable.
final class SubmitCommandTests: StoreCommandTestCase {
    private var spoolPath: String { directory.appendingPathComponent("spool").path }

    func testSubmitValidatesAndHandsInAndPrintsTheRequestID() throws {
        let file = directory.appendingPathComponent("request.json")
        try #"{"id": "ticket-1", "forget": [{"prompt": "Q?", "completion": "A."}]}"#.write(to: file, atomically: true, encoding: .utf8)
        let noSpool = try LetheProcess.run(["submit", file.path, "--spool", spoolPath])
        XCTAssertNotEqual(noSpool.status, 0, "a submitter never makes the daemon's spool")
        XCTAssertTrue(noSpool.standardError.contains("the daemon creates it when it starts"), noSpool.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: spoolPath))
        _ = try SpoolFolders(Spool(root: URL(fileURLWithPath: spoolPath)))
        let result = try LetheProcess.run(["submit", file.path, "--spool", spoolPath])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "ticket-1\n")
        let incoming = try FileManager.default.contentsOfDirectory(atPath: spoolPath + "/incoming")
        XCTAssertEqual(incoming.count, 1)
        XCTAssertEqual(try String(contentsOfFile: spoolPath + "/incoming/" + incoming[0], encoding: .utf8),
                       try String(contentsOf: file, encoding: .utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: spoolPath + "/tmp"), [])

        let json = try LetheProcess.json(["submit", file.path, "--spool", spoolPath, "--json"])
        XCTAssertEqual(json["request_id"] as? String, "ticket-1")
        XCTAssertEqual(json["items"] as? Int, 1)
        XCTAssertTrue((json["spool_file"] as? String)?.hasPrefix("incoming/") == true)
    }

    func testSubmitRefusesABadRequestNamingTheFieldAndHandsNothingIn() throws {
        let file = directory.appendingPathComponent("bad.json")
        try #"{"id": "../../etc/passwd", "forget": [{"text": "a"}]}"#.write(to: file, atomically: true, encoding: .utf8)
        let result = try LetheProcess.run(["submit", file.path, "--spool", spoolPath])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("bad.json: id: must be 1–128 letters"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: spoolPath + "/incoming"), "nothing was created")
    }

    func testForgetSetListsItemsWithTheirState() throws {
        let empty = try LetheProcess.run(["forget-set", "--store", storePath])
        XCTAssertEqual(empty.status, 0, empty.standardError)
        XCTAssertTrue(empty.standardOutput.contains("the forget set is empty"))
        let registry = try CheckpointStore(root: URL(fileURLWithPath: storePath)).registry
        try registry.insertRequest(RequestRecord(id: "r1", contentHash: "h1", fileName: "r1.json"), forgetItems: [
            ForgetItemRecord.qa(id: "r1/a", requestID: "r1", prompt: "Where was Norara born?", completion: "In Greros."),
            ForgetItemRecord.text(id: "r1/b", requestID: "r1", text: "Norara wrote The Salt Ledger."),
        ])
        var withdrawn = try XCTUnwrap(try registry.forgetItem(id: "r1/b"))
        withdrawn.state = .withdrawn
        try registry.updateForgetItem(withdrawn)

        let table = try LetheProcess.run(["forget-set", "--store", storePath])
        XCTAssertEqual(table.status, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("Where was Norara born? → In Greros."), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("2 items: 1 pending, 0 forgotten, 1 withdrawn"), table.standardOutput)
        let pending = try LetheProcess.json(["forget-set", "--store", storePath, "--state", "pending", "--json"])
        let items = try XCTUnwrap(pending["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["id"] as? String }, ["r1/a"])
        XCTAssertEqual(items.first?["request"] as? String, "r1")
        let unknownState = try LetheProcess.run(["forget-set", "--store", storePath, "--state", "gone"])
        XCTAssertNotEqual(unknownState.status, 0)
    }
}
