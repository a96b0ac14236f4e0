import Foundation
import XCTest
@testable import Daemon
import Store

/// The intake against a real spool and registry: what is queued, what is answered at once,
/// and what a restart finds in `active/`.
final class RequestIntakeTests: XCTestCase {
    private var fixture: IntakeFixture!
    private var intake: RequestIntake!
    private var spool: SpoolFolders { intake.spool }
    private var registry: Registry { intake.registry }

    override func setUpWithError() throws {
        fixture = try IntakeFixture("intake")
        intake = fixture.intake
    }

    override func tearDown() {
        fixture.remove()
    }

    private func submit(_ json: String) throws -> String { try spool.spool.submit(Array(json.utf8)) }

    private func report(_ folder: Spool.Folder, _ name: String, _ suffix: String) throws -> [String: Any] {
        let data = try Data(contentsOf: spool.spool.url(folder).appendingPathComponent(name + suffix))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testAValidRequestIsQueuedAndItsItemsJoinTheForgetSet() throws {
        let file = try submit(#"{"id": "r1", "submitted_by": "dpo", "forget": [{"prompt": "Q?", "completion": "A."}, {"id": "t", "text": "T."}]}"#)
        XCTAssertEqual(try intake.ingestWaiting(), [.queued(file: file, request: "r1", newItems: 2, knownItems: 0)])
        XCTAssertEqual(try spool.active(), [file], "a queued request waits in active/ for its job")
        let request = try XCTUnwrap(try registry.request(id: "r1"))
        XCTAssertEqual(request.status, .queued)
        XCTAssertEqual(request.submittedBy, "dpo")
        XCTAssertEqual(request.fileName, file)
        let items = try registry.forgetItems(request: "r1")
        XCTAssertEqual(Set(items.map(\.id)), ["r1/t", "r1/item-" + RequestParser.fingerprint(.completion(prompt: "Q?", completion: "A.")).prefix(12)])
        XCTAssertTrue(items.allSatisfy { $0.state == .pending })
    }

    func testAnItemAlreadyInTheForgetSetIsNotAddedTwice() throws {
        _ = try submit(#"{"id": "r1", "forget": [{"text": "same  fact"}]}"#)
        let second = try submit(#"{"id": "r2", "forget": [{"text": "same fact"}, {"text": "new fact"}]}"#)
        let outcomes = try intake.ingestWaiting()
        XCTAssertEqual(outcomes.last, .queued(file: second, request: "r2", newItems: 1, knownItems: 1))
        XCTAssertEqual(try registry.forgetItems().count, 2)
    }

    func testTheSameRequestAgainIsAnsweredFromTheRegistry() throws {
        let text = #"{"id": "r1", "forget": [{"text": "a"}]}"#
        _ = try submit(text)
        _ = try intake.ingestWaiting()
        let again = try submit(text)
        XCTAssertEqual(try intake.ingestWaiting(), [.duplicate(file: again, request: "r1", existing: "r1", status: .queued)])
        let anonymous = #"{"forget": [{"text": "c"}]}"#
        _ = try submit(anonymous)
        _ = try intake.ingestWaiting()
        let anonymousAgain = try submit(anonymous)
        let outcomes = try intake.ingestWaiting()
        guard case .duplicate(anonymousAgain, let id, let existing, .queued)? = outcomes.first, id == existing, id.hasPrefix("req-") else {
            return XCTFail("a request without an id is known by its content: \(outcomes)")
        }
        XCTAssertEqual(try report(.done, again, ".result.json")["duplicate_of"] as? String, "r1")
        XCTAssertEqual(try registry.requests().count, 2)
        XCTAssertEqual(try registry.forgetItems().count, 2)
    }

    func testAnIDReusedForOtherContentIsRefusedNotMistakenForADuplicate() throws {
        _ = try submit(#"{"id": "r1", "forget": [{"text": "a"}]}"#)
        _ = try intake.ingestWaiting()
        let reused = try submit(#"{"id": "r1", "forget": [{"text": "b"}]}"#)
        guard case .refused(reused, let error)? = try intake.ingestWaiting().first else { return XCTFail("not refused") }
        XCTAssertEqual(error.field, "id")
        XCTAssertTrue(error.reason.contains("already the id of a different request"), error.reason)
        XCTAssertEqual(try report(.failed, reused, ".error.json")["field"] as? String, "id")
        XCTAssertEqual(try registry.forgetItems().count, 1, "item b was not added")
    }

    func testABadFileIsAnsweredIntoFailedWithItsFieldAndTheNextOneStillServed() throws {
        let bad = try submit(#"{"forget": [{"prompt": "Q?"}]}"#)
        let good = try submit(#"{"id": "ok", "forget": [{"text": "a"}]}"#)
        let outcomes = try intake.ingestWaiting()
        XCTAssertEqual(outcomes.count, 2)
        XCTAssertEqual(outcomes.last, .queued(file: good, request: "ok", newItems: 1, knownItems: 0))
        let error = try report(.failed, bad, ".error.json")
        XCTAssertEqual(error["field"] as? String, "forget[0].completion")
        XCTAssertEqual(error["reason"] as? String, "is required with \"prompt\"")
        XCTAssertTrue(FileManager.default.fileExists(atPath: spool.spool.url(.failed).appendingPathComponent(bad).path))
    }

    func testWithdrawMarksItemsAndARequestWithNothingLeft() throws {
        _ = try submit(#"{"id": "r1", "forget": [{"id": "a", "text": "a"}, {"id": "b", "text": "b"}]}"#)
        _ = try submit(#"{"id": "r2", "forget": [{"id": "c", "text": "c"}]}"#)
        _ = try intake.ingestWaiting()
        let file = try submit(#"{"id": "w1", "withdraw": ["r1/a", "r2"]}"#)
        XCTAssertEqual(try intake.ingestWaiting(), [.withdrew(file: file, request: "w1", items: ["r1/a", "r2/c"])])
        XCTAssertEqual(try registry.forgetItem(id: "r1/a")?.state, .withdrawn)
        XCTAssertEqual(try registry.forgetItem(id: "r1/b")?.state, .pending)
        XCTAssertEqual(try registry.request(id: "r1")?.status, .queued, "r1 still has an item to forget")
        XCTAssertEqual(try registry.request(id: "r2")?.status, .withdrawn, "nothing of r2 is left to apply")
        XCTAssertEqual(try report(.done, file, ".result.json")["withdrawn"] as? [String], ["r1/a", "r2/c"])

        let unknown = try submit(#"{"withdraw": ["r1/a", "nobody"]}"#)
        guard case .refused(_, let error)? = try intake.ingestWaiting().first else { return XCTFail() }
        XCTAssertEqual(error.field, "withdraw[1]")
        XCTAssertTrue(FileManager.default.fileExists(atPath: spool.spool.url(.failed).appendingPathComponent(unknown).path))
    }

    func testRecoveryFinishesWhatACrashInterrupted() throws {
        // A file claimed but never recorded (crash after the rename), and one recorded as open.
        let unrecorded = try submit(#"{"id": "late", "forget": [{"text": "x"}]}"#)
        XCTAssertNotNil(try spool.claim(unrecorded))
        let open = try submit(#"{"id": "open", "forget": [{"text": "y"}]}"#)
        _ = try intake.ingest(try XCTUnwrap(try spool.claim(open)))
        // One recorded and ended, whose answer the crash prevented.
        let ended = try submit(#"{"id": "ended", "forget": [{"text": "z"}]}"#)
        _ = try intake.ingest(try XCTUnwrap(try spool.claim(ended)))
        try registry.updateRequestStatus(id: "ended", to: .failed, error: ["reason": .string("gate: utility dropped 14 %")])

        let outcomes = try intake.settleActive(reportingOpen: true)
        XCTAssertEqual(Set(outcomes), [.queued(file: unrecorded, request: "late", newItems: 1, knownItems: 0),
                                       .resumed(file: open, request: "open"),
                                       .duplicate(file: ended, request: "ended", existing: "ended", status: .failed)])
        XCTAssertEqual(try spool.active().sorted(), [unrecorded, open].sorted())
        XCTAssertEqual((try report(.failed, ended, ".error.json")["error"] as? [String: Any])?["reason"] as? String, "gate: utility dropped 14 %")
        XCTAssertEqual(try registry.requests().count, 3, "nothing recorded twice")
        XCTAssertEqual(try intake.settleActive(), [], "open requests are left to their job, quietly")
    }

    func testAFileNameAnEarlierRequestHadIsClaimedUnderAnotherSoItsAnswerIsItsOwn() throws {
        try Data(#"{"id": "first", "forget": [{"text": "a"}]}"#.utf8).write(to: spool.spool.url(.incoming).appendingPathComponent("r.json"))
        _ = try intake.ingestWaiting()
        try registry.updateRequestStatus(id: "first", to: .failed, error: ["message": .string("gate")])
        _ = try intake.settleActive()
        XCTAssertEqual(try spool.active(), [], "first answered")
        try Data(#"{"id": "second", "forget": [{"text": "b"}]}"#.utf8).write(to: spool.spool.url(.incoming).appendingPathComponent("r.json"))
        XCTAssertEqual(try intake.ingestWaiting(), [.queued(file: "r.json.2", request: "second", newItems: 1, knownItems: 0)])
        XCTAssertEqual(try intake.settleActive(), [], "second is not mistaken for the answered first")
        XCTAssertEqual(try spool.active(), ["r.json.2"])
    }

    func testTheSameRequestAsAFailedOneIsAnsweredIntoFailed() throws {
        let text = #"{"id": "f", "forget": [{"text": "a"}]}"#
        _ = try submit(text)
        _ = try intake.ingestWaiting()
        try registry.updateRequestStatus(id: "f", to: .failed, error: ["message": .string("gate")])
        let again = try submit(text)
        XCTAssertEqual(try intake.ingestWaiting(), [.duplicate(file: again, request: "f", existing: "f", status: .failed)])
        XCTAssertEqual(try report(.failed, again, ".error.json")["duplicate_of"] as? String, "f")
    }

    func testANewRequestForAWithdrawnItemMakesItPendingAgain() throws {
        _ = try submit(#"{"id": "a", "forget": [{"id": "x", "text": "shared"}, {"text": "other"}]}"#)
        _ = try submit(#"{"id": "w", "withdraw": ["a/x"]}"#)
        _ = try intake.ingestWaiting()
        XCTAssertEqual(try registry.forgetItem(id: "a/x")?.state, .withdrawn)
        _ = try submit(#"{"id": "b", "forget": [{"text": "shared"}]}"#)
        _ = try intake.ingestWaiting()
        XCTAssertEqual(try registry.forgetItem(id: "a/x")?.state, .pending, "b asks it again")
    }
}
