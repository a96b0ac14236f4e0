import Foundation
import XCTest
@testable import Daemon
import Model
@testable import Store

/// How queued requests become a job: coalesced while their settings agree and their items
/// fit, withdrawn items left out, requests whose file no longer reads ended instead.
final class JobPlannerTests: XCTestCase {
    private var fixture: IntakeFixture!
    private var intake: RequestIntake!
    private var configuration = DaemonConfiguration()

    override func setUpWithError() throws {
        fixture = try IntakeFixture("planner")
        intake = fixture.intake
    }

    override func tearDown() {
        fixture.remove()
    }

    private func queue(_ requests: [String]) throws {
        for json in requests { _ = try intake.spool.spool.submit(Array(json.utf8)) }
        _ = try intake.ingestWaiting()
    }

    private func plan() throws -> (JobPlan?, [UnplannableRequest]) {
        var unplannable: [UnplannableRequest] = []
        let planner = JobPlanner(spool: intake.spool, registry: intake.registry, configuration: configuration)
        return (try planner.plan(head: 0, unplannable: &unplannable), unplannable)
    }

    func testNothingQueuedPlansNothing() throws {
        let (plan, unplannable) = try plan()
        XCTAssertNil(plan)
        XCTAssertTrue(unplannable.isEmpty)
    }

    func testRequestsAreCoalescedWhileTheirItemsFitAndTheirSettingsAgree() throws {
        configuration.maxItemsPerJob = 3
        try queue([
            #"{"id": "a", "forget": [{"text": "a1"}, {"text": "a2"}]}"#,
            #"{"id": "b", "forget": [{"text": "b1"}, {"text": "b2"}]}"#,  // would make 4 items
            #"{"id": "c", "forget": [{"text": "c1"}], "options": {"epochs": 3}}"#,  // other settings
            #"{"id": "d", "forget": [{"text": "d1"}]}"#,
        ])
        let (plan, _) = try plan()
        XCTAssertEqual(plan?.requestIDs, ["a", "d"])
        XCTAssertEqual(plan?.targets.map(\.id), ["a/item-" + RequestParser.fingerprint(.text("a1")).prefix(12),
                                                 "a/item-" + RequestParser.fingerprint(.text("a2")).prefix(12),
                                                 "d/item-" + RequestParser.fingerprint(.text("d1")).prefix(12)])
        XCTAssertEqual(plan?.settings, JobSettings(configuration: configuration))
        XCTAssertEqual(plan?.settings.epochs, configuration.update.epochs)
    }

    func testARequestTooBigForOneJobStillRunsAlone() throws {
        configuration.maxItemsPerJob = 1
        try queue([#"{"id": "big", "forget": [{"text": "x1"}, {"text": "x2"}]}"#, #"{"id": "small", "forget": [{"text": "y"}]}"#])
        XCTAssertEqual(try plan().0?.requestIDs, ["big"])
    }

    func testARequestsOwnOptionsTightenTheJob() throws {
        try queue([#"{"id": "a", "forget": [{"text": "a"}], "options": {"epochs": 2, "learning_rate": 0.0001, "max_utility_drop": 0.05}}"#])
        let settings = try XCTUnwrap(try plan().0?.settings)
        XCTAssertEqual(settings.epochs, 2)
        XCTAssertEqual(settings.learningRate, 0.0001)
        XCTAssertEqual(settings.maxUtilityDrop, 0.05)
        let small = LlamaConfig(vocabSize: 64, hiddenSize: 8, intermediateSize: 16, layerCount: 2, headCount: 2, keyValueHeadCount: 1)
        XCTAssertEqual(settings.unlearningOptions(configuration, model: small, seed: 7).seed, 7)
        XCTAssertEqual(settings.unlearningOptions(configuration, model: small, seed: 7).scope, .all, "a small model trains whole by default")
        configuration.update.scope = .mlp
        XCTAssertEqual(settings.unlearningOptions(configuration, model: small, seed: 7).scope, .mlp)
    }

    func testAnItemAskedBeforeIsPartOfTheLaterRequestsJobAndWithdrawnItemsAreNot() throws {
        try queue([#"{"id": "a", "forget": [{"id": "x", "text": "shared"}, {"id": "y", "text": "own"}]}"#,
                   #"{"id": "b", "forget": [{"text": "shared"}, {"text": "b only"}]}"#,
                   #"{"id": "w", "withdraw": ["a/y"]}"#])
        let (plan, _) = try plan()
        XCTAssertEqual(plan?.members.first { $0.record.id == "a" }?.items.map(\.id), ["a/x"])
        XCTAssertEqual(plan?.members.first { $0.record.id == "b" }?.items.map(\.id).first, "a/x", "the forget set's entry")
        XCTAssertEqual(plan?.targets.count, 2, "a/x once, and b's own item")
    }

    func testAQueuedRequestStillRunsAfterAReloadTightenedTheLimits() throws {
        try queue([#"{"id": "a", "forget": [{"text": "a1"}, {"text": "a2"}], "options": {"epochs": 8}}"#])
        configuration.limits.maxItems = 1
        configuration.policy.maxEpochs = 2
        XCTAssertEqual(try plan().0?.requestIDs, ["a"], "it was accepted under the limits of its time")
        XCTAssertEqual(try plan().0?.settings.epochs, 8)
    }

    func testAJobRunsOnWhatTheRegistryRecordedNotOnTheFileInActive() throws {
        try queue([#"{"id": "kept", "forget": [{"text": "k"}], "retain": [{"text": "r"}], "options": {"epochs": 8}}"#])
        let file = intake.spool.spool.url(.active).appendingPathComponent(try XCTUnwrap(intake.registry.request(id: "kept")).fileName)
        try Data(#"{"id": "kept", "forget": [{"text": "other"}], "options": {"epochs": 1}}"#.utf8).write(to: file)
        let changed = try XCTUnwrap(try plan().0)
        XCTAssertEqual(changed.settings.epochs, 8, "the options as queued")
        XCTAssertEqual(changed.members.first?.request.retain, [RequestItem(id: "item-" + RequestParser.fingerprint(.text("r")).prefix(12), content: .text("r"))])
        XCTAssertEqual(changed.targets.compactMap(\.text), ["k"])
        try FileManager.default.removeItem(at: file)
        XCTAssertEqual(try plan().0?.requestIDs, ["kept"], "the file is not needed once the request is recorded")
    }

    /// A request queued before the registry recorded what jobs need of it (migration v4) is read
    /// from its file in active/, which must still hold what was queued.
    func testARequestRecordedBeforeTheRegistryKeptItsContentIsReadFromItsFile() throws {
        try queue([#"{"id": "old", "forget": [{"text": "g"}], "options": {"epochs": 7}}"#,
                   #"{"id": "gone", "forget": [{"text": "h"}]}"#, #"{"id": "ok", "forget": [{"text": "o"}]}"#])
        try intake.registry.execute(sql: "UPDATE requests SET content = NULL WHERE id IN ('old', 'gone')")
        let gone = try XCTUnwrap(intake.registry.request(id: "gone")).fileName
        try FileManager.default.removeItem(at: intake.spool.spool.url(.active).appendingPathComponent(gone))
        let (plan, unplannable) = try plan()
        XCTAssertEqual(plan?.requestIDs, ["old"], "its options (from its file) differ from ok's: a job of its own")
        XCTAssertEqual(plan?.settings.epochs, 7)
        XCTAssertEqual(plan?.targets.compactMap(\.text), ["g"])
        guard case .unreadable(let record, let error)? = unplannable.first else { return XCTFail("\(unplannable)") }
        XCTAssertEqual(record.id, "gone")
        XCTAssertTrue(error.reason.contains("cannot be read"), error.reason)
    }

    func testARequestWhoseItemsWereAllWithdrawnIsEnded() throws {
        try queue([#"{"id": "a", "forget": [{"id": "x", "text": "shared"}]}"#, #"{"id": "b", "forget": [{"text": "shared"}]}"#,
                   #"{"id": "w", "withdraw": ["a"]}"#])
        let (plan, unplannable) = try plan()
        XCTAssertNil(plan, "a is withdrawn; b names only a's withdrawn item")
        guard case .allWithdrawn(let record)? = unplannable.first else { return XCTFail("\(unplannable)") }
        XCTAssertEqual(record.id, "b")
    }

    func testAFailedItemWaitsUntilARequestNamesItAgainAndThenIsThatRequestsTarget() throws {
        try queue([#"{"id": "a", "forget": [{"id": "x", "text": "hard fact"}]}"#])
        try intake.registry.transaction { transaction in
            var item = try XCTUnwrap(try transaction.forgetItem(id: "a/x"))
            item.state = .failed
            try transaction.updateForgetItem(item)
            try transaction.updateRequestStatus(id: "a", to: .failed, error: ["message": .string("not forgotten")])
        }
        XCTAssertNil(try plan().0, "nothing re-opens a failed item")
        try queue([#"{"id": "b", "forget": [{"text": "hard fact"}]}"#])
        let (plan, _) = try plan()
        XCTAssertEqual(plan?.requestIDs, ["b"])
        XCTAssertEqual(plan?.targets.map(\.id), ["a/x"], "the forget set's entry, asked again")
    }

    func testAJobHoldsTheAnswersOfForgottenItemsThatKeepOneAndNoOthers() throws {
        configuration.heldAnswers = 400
        try queue([#"{"id": "a", "forget": [{"id": "held", "text": "one"}, {"id": "bare", "text": "two"}, {"id": "gone", "text": "three"}]}"#])
        try intake.registry.transaction { transaction in
            for (id, state, answer) in [("a/held", ForgetItemRecord.State.forgotten, " a fluent answer"), ("a/bare", .forgotten, nil),
                                        ("a/gone", .withdrawn, "withdrawn, so not held")] {
                var item = try XCTUnwrap(try transaction.forgetItem(id: id))
                item.state = state
                item.latestScores = answer.map { [HeldAnswer.key: .string($0)] }
                try transaction.updateForgetItem(item)
            }
            try transaction.updateRequestStatus(id: "a", to: .running)
        }
        try queue([#"{"id": "b", "forget": [{"text": "four"}]}"#])
        let job = try XCTUnwrap(try plan().0)
        XCTAssertEqual(job.held.map(\.id), ["a/held"])
        XCTAssertEqual(job.held.compactMap(HeldAnswer.text), [ItemText(prompt: "", completion: "a fluent answer", isPassage: true)],
                       "held as the version that forgot it answered, less the space the format puts before every answer")
        configuration.heldAnswers = 0
        XCTAssertEqual(try plan().0?.held.count, 0, "held_answers 0 (the default) holds none")
    }

    func testTheEscalationJobTakesOnlyTheItemsHEADDoesNotForgetYet() throws {
        try queue([#"{"id": "a", "forget": [{"id": "x", "text": "easy"}, {"id": "y", "text": "hard"}]}"#,
                   #"{"id": "b", "forget": [{"text": "other"}]}"#])
        let (planned, _) = try plan()
        let job = try XCTUnwrap(planned)
        try intake.registry.transaction { transaction in
            var item = try XCTUnwrap(try transaction.forgetItem(id: "a/x"))
            item.state = .forgotten
            try transaction.updateForgetItem(item)
        }
        var stronger = job.settings
        stronger.epochs += 5
        let planner = JobPlanner(spool: intake.spool, registry: intake.registry, configuration: configuration)
        let escalated = try planner.escalation(of: job.members.filter { $0.record.id == "a" }, head: 0, settings: stronger)
        XCTAssertEqual(escalated.requestIDs, ["a"], "b, applied, is not held back")
        XCTAssertEqual(escalated.targets.map(\.id), ["a/y"])
        XCTAssertEqual(escalated.settings, stronger)
        XCTAssertTrue(escalated.reopened.isEmpty)
    }

    func testTheLadderGoesAloneThenStrongerWithinThePolicyThenThroughTheOtherAllowedMethods() throws {
        configuration.policy = RequestPolicy(allowedMethods: ["dipo", "npo", "simnpo"], maxEpochs: 8, maxLearningRate: 5e-4)
        (configuration.update.epochs, configuration.update.learningRate) = (5, 3e-4)
        configuration.escalation.epochs = 20
        configuration.escalation.learningRate = 1e-2
        let planned = JobSettings(configuration: configuration)
        let steps = EscalationLadder(configuration: configuration).steps(after: planned)
        XCTAssertEqual(steps.map(\.kind), [.alone, .stronger, .otherMethod, .otherMethod])
        XCTAssertEqual(steps[0].settings, planned)
        XCTAssertEqual(steps[1].settings.epochs, 8, "raised to the policy's most")
        XCTAssertEqual(steps[1].settings.learningRate, 5e-4, "never above policy.max_learning_rate")
        XCTAssertEqual(steps[2...].map(\.settings.method), [.npo, .simnpo])
        XCTAssertTrue(steps[2...].allSatisfy { $0.settings.epochs == 8 && $0.settings.learningRate == 5e-4 })

        var long = planned
        long.epochs = 12
        XCTAssertEqual(EscalationLadder(configuration: configuration).steps(after: long)[1].settings.epochs, 12, "never fewer than planned")
        configuration.escalation.enabled = false
        XCTAssertEqual(EscalationLadder(configuration: configuration).steps(after: planned), [])
    }

    /// A rate set for another model is escalated in proportion, not to the embedded model's 1e-3:
    /// SmolLM2 at 2e-5 was forgotten 3,000-fold and lost 8 % of its utility at 1e-3.
    func testWithoutAnEscalationRateTheStrongerStepRaisesTheJobsOwnRateByTheFactor() throws {
        configuration.update.learningRate = 2e-5
        configuration.escalation.learningRate = nil
        var planned = JobSettings(configuration: configuration)
        let stronger = try XCTUnwrap(EscalationLadder(configuration: configuration).steps(after: planned).first { $0.kind == .stronger })
        XCTAssertEqual(stronger.settings.learningRate, 2e-5 * 1e-3 / 6e-4, accuracy: 1e-15)
        // A request that asks its own rate escalates from that rate.
        planned.learningRate = 3e-4
        XCTAssertEqual(EscalationLadder(configuration: configuration).steps(after: planned)[1].settings.learningRate, 5e-4, accuracy: 1e-15)
        // An explicit escalation rate is used as given, within the policy.
        configuration.escalation.learningRate = 1e-4
        XCTAssertEqual(EscalationLadder(configuration: configuration).steps(after: planned)[1].settings.learningRate, 3e-4,
                       "never below the job's own rate")
        planned.learningRate = 2e-5
        XCTAssertEqual(EscalationLadder(configuration: configuration).steps(after: planned)[1].settings.learningRate, 1e-4)
    }
}
