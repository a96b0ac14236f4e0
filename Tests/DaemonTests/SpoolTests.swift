import Foundation
import XCTest
@testable import Daemon

/// The spool's hand-over protocol on a real directory: what is claimed, what is never read,
/// and how answers are filed.
final class SpoolTests: XCTestCase {
    private var spool: SpoolFolders!

    override func setUpWithError() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-spool-\(UUID().uuidString)")
        spool = try SpoolFolders(Spool(root: root))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: spool.spool.root)
    }

    private func drop(_ text: String, as name: String) throws {
        try Data(text.utf8).write(to: spool.spool.url(.incoming).appendingPathComponent(name))
    }

    func testSubmitHandsACompleteFileInAndClaimReadsItBack() throws {
        let bytes = Array(#"{"forget": [{"text": "a"}]}"#.utf8)
        let name = try spool.spool.submit(bytes)
        XCTAssertEqual(try spool.waiting(), [name])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: spool.spool.url(.tmp).path), [], "nothing left in tmp/")
        let claim = try XCTUnwrap(try spool.claim(name))
        XCTAssertEqual(try spool.waiting(), [])
        XCTAssertEqual(try spool.active(), [name])
        XCTAssertEqual(try spool.read(claim, limit: 1000), bytes)
        XCTAssertNil(try spool.claim(name), "a claimed name cannot be claimed twice")
        let mode = try FileManager.default.attributesOfItem(atPath: spool.spool.url(.active).appendingPathComponent(name).path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o640, "requests are not world-readable")
    }

    func testHiddenFilesAndFilesInTmpAreNeverClaimed() throws {
        try drop("{}", as: ".partial.json")
        try Data("{}".utf8).write(to: spool.spool.url(.tmp).appendingPathComponent("writing.json"))
        XCTAssertEqual(try spool.waiting(), [])
    }

    func testWaitingIsOldestFirst() throws {
        for (name, age) in [("b.json", 30.0), ("a.json", 10.0), ("c.json", 20.0)] {
            try drop("{}", as: name)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)],
                                                  ofItemAtPath: spool.spool.url(.incoming).appendingPathComponent(name).path)
        }
        XCTAssertEqual(try spool.waiting(), ["b.json", "c.json", "a.json"])
    }

    func testASymlinkIsClaimedWithoutBeingFollowedAndRefused() throws {
        let secret = spool.spool.root.appendingPathComponent("secret")
        try Data("not yours".utf8).write(to: secret)
        try FileManager.default.createSymbolicLink(atPath: spool.spool.url(.incoming).appendingPathComponent("link.json").path,
                                                   withDestinationPath: secret.path)
        let claim = try XCTUnwrap(try spool.claim("link.json"))
        XCTAssertThrowsError(try spool.read(claim, limit: 1000)) { error in
            XCTAssertTrue((error as? RequestError)?.reason.contains("symbolic link") == true, "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: secret, encoding: .utf8), "not yours", "the target is untouched")
    }

    func testAFIFOAndADirectoryAreRefusedWithoutBlocking() throws {
        XCTAssertEqual(mkfifo(spool.spool.url(.incoming).appendingPathComponent("pipe.json").path, 0o600), 0)
        try FileManager.default.createDirectory(at: spool.spool.url(.incoming).appendingPathComponent("folder.json"), withIntermediateDirectories: false)
        for name in ["pipe.json", "folder.json"] {
            let claim = try XCTUnwrap(try spool.claim(name))
            XCTAssertThrowsError(try spool.read(claim, limit: 1000)) { error in
                XCTAssertTrue((error as? RequestError)?.reason.contains("not a regular file") == true, "\(error)")
            }
            try spool.answer(name, into: .failed, report: Array("{}".utf8))
        }
        XCTAssertEqual(try spool.active(), [])
    }

    func testAFileThatGrowsAfterBeingHandedInIsRefused() throws {
        try drop(#"{"forget": [{"text": "a"}]}"#, as: "growing.json")
        let claim = try XCTUnwrap(try spool.claim("growing.json"))
        let handle = try FileHandle(forWritingTo: spool.spool.url(.active).appendingPathComponent("growing.json"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("   ".utf8))
        try handle.close()
        XCTAssertThrowsError(try spool.read(claim, limit: 1000)) { error in
            XCTAssertTrue((error as? RequestError)?.reason.contains("changed after it was handed in") == true, "\(error)")
        }
    }

    func testAFileOverTheLimitIsRefusedWithoutReadingIt() throws {
        try drop(String(repeating: " ", count: 2000), as: "big.json")
        let claim = try XCTUnwrap(try spool.claim("big.json"))
        XCTAssertThrowsError(try spool.read(claim, limit: 1000)) { error in
            XCTAssertEqual((error as? RequestError)?.reason, "is 2000 bytes, more than the limit of 1000")
        }
    }

    func testAnswersNeverOverwriteEarlierOnes() throws {
        for round in 1...3 {
            try drop("{}", as: "same.json")
            _ = try XCTUnwrap(try spool.claim("same.json"))
            let name = try spool.answer("same.json", into: .done, report: Array("{\"round\": \(round)}".utf8))
            XCTAssertEqual(name, round == 1 ? "same.json" : "same.json.\(round)")
        }
        let done = try FileManager.default.contentsOfDirectory(atPath: spool.spool.url(.done).path).sorted()
        XCTAssertEqual(done, ["same.json", "same.json.2", "same.json.2.result.json", "same.json.3", "same.json.3.result.json", "same.json.result.json"])
        XCTAssertEqual(try String(contentsOf: spool.spool.url(.done).appendingPathComponent("same.json.3.result.json"), encoding: .utf8), "{\"round\": 3}")
    }

    func testAClaimNeverReplacesAFileInActiveOrReusesAnEarlierRequestsName() throws {
        try drop("{}", as: "x.json")
        XCTAssertEqual(try spool.claim("x.json")?.name, "x.json")
        try drop("{}", as: "x.json")
        XCTAssertEqual(try spool.claim("x.json")?.name, "x.json.2", "x.json is still in active/")
        try drop("{}", as: "y.json")
        XCTAssertEqual(try spool.claim("y.json", isTaken: { $0 == "y.json" })?.name, "y.json.2", "an earlier request had y.json")
        XCTAssertEqual(try spool.active(), ["x.json", "x.json.2", "y.json.2"])
    }

    func testAVeryLongNameIsClaimedUnderAShortOneSoItsAnswerFits() throws {
        let long = String(repeating: "n", count: 250) + ".json"
        try drop("{}", as: long)
        let claim = try XCTUnwrap(try spool.claim(long))
        XCTAssertTrue(claim.name.hasPrefix("long-") && claim.name.utf8.count < 40, claim.name)
        XCTAssertEqual(try spool.answer(claim.name, into: .failed, report: Array("{}".utf8)), claim.name)
        XCTAssertTrue(FileManager.default.fileExists(atPath: spool.spool.url(.failed).appendingPathComponent(claim.name + ".error.json").path))
    }

    func testAnAnswerStillGetsItsReportWhenTheFileWasRemovedFromActive() throws {
        try drop("{}", as: "gone.json")
        _ = try XCTUnwrap(try spool.claim("gone.json"))
        try FileManager.default.removeItem(at: spool.spool.url(.active).appendingPathComponent("gone.json"))
        XCTAssertEqual(try spool.answer("gone.json", into: .failed, report: Array("{}".utf8)), "gone.json")
        XCTAssertTrue(FileManager.default.fileExists(atPath: spool.spool.url(.failed).appendingPathComponent("gone.json.error.json").path))
    }
}
