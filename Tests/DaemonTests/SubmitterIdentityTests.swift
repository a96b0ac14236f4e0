import Foundation
import XCTest
@testable import Daemon
import Store

/// Finding 8: the submitter is the uid that owned the handed-in file, recorded with the request,
/// and only that uid or the admin group may withdraw it; `submitted_by` is a label. Handing a
/// file in as another uid needs root (to chown it); otherwise the tests are skipped.
final class SubmitterIdentityTests: XCTestCase {
    private var fixture: IntakeFixture!
    private let alice: uid_t = 4242, mallory: uid_t = 4343
    /// `nobody`, whose primary group is `nogroup` on Debian: a real account for the admin group.
    private let nobody: uid_t = 65534

    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "handing files in as other uids needs root (chown)")
        fixture = try IntakeFixture("identity")
    }

    override func tearDown() {
        fixture?.remove()
    }

    /// Hands `json` in as `uid` would: the file is theirs.
    private func handIn(_ json: String, as uid: uid_t, adminGroup: String? = nil) throws -> [IntakeOutcome] {
        let spool = fixture.intake.spool.spool
        let name = try spool.submit(Array(json.utf8))
        XCTAssertEqual(chown(spool.url(.incoming).appendingPathComponent(name).path, uid, uid), 0)
        let intake = RequestIntake(spool: fixture.intake.spool, registry: fixture.intake.registry, parser: RequestParser(),
                                   adminGroup: adminGroup)
        return try intake.ingestWaiting()
    }

    private func refusal(_ outcomes: [IntakeOutcome]) -> RequestError? {
        guard case .refused(_, let error)? = outcomes.first else { return nil }
        return error
    }

    func testTheOwnerOfTheFileIsRecordedBesideTheFreeTextLabel() throws {
        _ = try handIn(#"{"id": "r1", "submitted_by": "someone else entirely", "forget": [{"text": "a"}]}"#, as: alice)
        let request = try XCTUnwrap(try fixture.intake.registry.request(id: "r1"))
        XCTAssertEqual(request.submitterUID, Int(alice))
        XCTAssertEqual(request.submittedBy, "someone else entirely")
        let nobodysRequest = try handIn(#"{"id": "r2", "forget": [{"text": "b"}]}"#, as: nobody)
        XCTAssertEqual(nobodysRequest.count, 1)
        XCTAssertEqual(try fixture.intake.registry.request(id: "r2")?.submitterName, "nobody")
    }

    func testAnotherUidCannotWithdrawWhateverItsLabelSays() throws {
        _ = try handIn(#"{"id": "r1", "submitted_by": "alice", "forget": [{"id": "a", "text": "a"}]}"#, as: alice)
        let attempt = try handIn(#"{"id": "w1", "submitted_by": "alice", "withdraw": ["r1"]}"#, as: mallory)
        let error = try XCTUnwrap(refusal(attempt), "\(attempt)")
        XCTAssertEqual(error.field, "withdraw[0]")
        XCTAssertTrue(error.reason.contains("handed in by another user"), error.reason)
        XCTAssertEqual(try fixture.intake.registry.forgetItem(id: "r1/a")?.state, .pending, "nothing withdrawn")
        XCTAssertEqual(try fixture.intake.registry.request(id: "r1")?.status, .queued)

        let own = try handIn(#"{"id": "w2", "withdraw": ["r1/a"]}"#, as: alice)
        XCTAssertEqual(own, [.withdrew(file: try XCTUnwrap(ownFile(own)), request: "w2", items: ["r1/a"])])
    }

    func testTheAdminGroupRootAndTheDaemonMayWithdrawAnyones() throws {
        _ = try handIn(#"{"id": "r1", "forget": [{"id": "a", "text": "a"}, {"id": "b", "text": "b"}, {"id": "c", "text": "c"}]}"#, as: alice)
        XCTAssertNotNil(refusal(try handIn(#"{"id": "w1", "withdraw": ["r1/a"]}"#, as: nobody)), "no admin group configured")
        XCTAssertNotNil(refusal(try handIn(#"{"id": "w2", "withdraw": ["r1/a"]}"#, as: nobody, adminGroup: "daemon")), "not a member")
        XCTAssertNil(refusal(try handIn(#"{"id": "w3", "withdraw": ["r1/a"]}"#, as: nobody, adminGroup: "nogroup")))
        XCTAssertEqual(try fixture.intake.registry.forgetItem(id: "r1/a")?.state, .withdrawn)
        XCTAssertNil(refusal(try handIn(#"{"id": "w4", "withdraw": ["r1/b"]}"#, as: 0)), "root")
        XCTAssertEqual(try fixture.intake.registry.forgetItem(id: "r1/b")?.state, .withdrawn)
    }

    func testAWithdrawalNamingAnotherUsersRequestRefusesTheWholeRequest() throws {
        _ = try handIn(#"{"id": "mine", "forget": [{"id": "a", "text": "a"}]}"#, as: mallory)
        _ = try handIn(#"{"id": "theirs", "forget": [{"id": "b", "text": "b"}]}"#, as: alice)
        let mixed = try handIn(#"{"id": "w1", "withdraw": ["mine", "theirs/b"]}"#, as: mallory)
        XCTAssertEqual(refusal(mixed)?.field, "withdraw[1]")
        XCTAssertEqual(try fixture.intake.registry.forgetItem(id: "mine/a")?.state, .pending, "all or nothing")
    }

    private func ownFile(_ outcomes: [IntakeOutcome]) -> String? {
        guard case .withdrew(let file, _, _)? = outcomes.first else { return nil }
        return file
    }
}
