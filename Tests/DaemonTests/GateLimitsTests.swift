@testable import Daemon
import Store
import Unlearning
import XCTest

/// The gate's limits besides the forget criteria, on given numbers.
final class GateLimitsTests: XCTestCase {
    private let limits = GateLimits(maxUtilityDrop: 0.1, maxUtilityDropPerRequest: 0.02, minProbabilityRatio: 0.005, minFluency: 0.001)

    private func result(utility: Double, parentDrift: Double?, ratio: Double = 0.03, fluency: Double = 0.02) -> GateResult {
        GateResult(scores: [:], utility: utility, utilityFigures: [:], baseUtility: 0.5, limits: limits, unforgotten: [], regressed: [],
                   served: [], jobProbabilityRatio: ratio, jobFluency: fluency, parentDrift: parentDrift)
    }

    func testAJobIsHeldToItsShareOfTheBudgetAgainstItsParentsDrift() throws {
        // The parent had lost 0.02; this version 0.035 in all: the job cost 0.015 > 0.01 (2 % of 0.5).
        let costly = result(utility: 0.465, parentDrift: 0.02)
        XCTAssertEqual(try XCTUnwrap(costly.requestCost), 0.015, accuracy: 1e-12)
        XCTAssertTrue(costly.isWithinUtilityBudget)
        XCTAssertFalse(costly.isWithinRequestBudget)
        XCTAssertFalse(costly.isPublishable)
        XCTAssertTrue(try XCTUnwrap(costly.failureReason).contains("the job costs 0.0150 of model utility, more than 0.0100"))
        XCTAssertTrue(result(utility: 0.472, parentDrift: 0.02).passed, "0.008 is within 0.01")
        XCTAssertTrue(result(utility: 0.45, parentDrift: nil).isWithinRequestBudget, "an import's cost is unknown: only the total budget holds")
        XCTAssertFalse(result(utility: 0.449, parentDrift: 0.05).isWithinUtilityBudget, "below 0.45, the floor of a 10 % drop")
        // A parent 0.03 above the base version: the job is charged from the base version's utility, 0.005 here.
        XCTAssertEqual(try XCTUnwrap(result(utility: 0.495, parentDrift: -0.03).requestCost), 0.005, accuracy: 1e-12)
        XCTAssertTrue(result(utility: 0.495, parentDrift: -0.03).isWithinRequestBudget)
    }

    func testAJobThatCoalescedRequestsIsAllowedTheirSharesTogether() throws {
        // Three requests in one job: 3 × 0.01 of the base version's 0.5; the total budget still holds.
        var shared = limits
        shared.requestCount = 3
        let job = { (utility: Double) in
            GateResult(scores: [:], utility: utility, utilityFigures: [:], baseUtility: 0.5, limits: shared, unforgotten: [], regressed: [],
                       served: [], jobProbabilityRatio: 0.03, jobFluency: 0.02, parentDrift: 0)
        }
        XCTAssertEqual(job(0.475).requestCostLimit, 0.03, accuracy: 1e-12)
        XCTAssertTrue(job(0.475).passed, "0.025 is within 3 shares")
        XCTAssertFalse(job(0.465).isWithinRequestBudget)
        XCTAssertTrue(try XCTUnwrap(job(0.465).failureReason).contains("for each of its 3 requests"))
        XCTAssertEqual(result(utility: 0.5, parentDrift: 0).requestCostLimit, 0.01, accuracy: 1e-12, "one request, one share")
    }

    func testOverForgottenAndDegenerateJobsAreRefusedWithTheirNumbers() throws {
        let over = result(utility: 0.5, parentDrift: 0, ratio: 0.001)
        XCTAssertTrue(over.isOverForgotten)
        XCTAssertFalse(over.passed)
        XCTAssertTrue(try XCTUnwrap(over.failureReason).contains("over-forgotten: the job's answers are 0.0010 as likely"))
        let salad = result(utility: 0.5, parentDrift: 0, fluency: 0.0002)
        XCTAssertTrue(salad.isDegenerate)
        XCTAssertTrue(try XCTUnwrap(salad.failureReason).contains("degenerate: the job's answers have fluency 0.00020"))
        XCTAssertEqual(salad.metrics["job_fluency"], .number(0.0002))
        XCTAssertNil(result(utility: 0.5, parentDrift: 0).failureReason)
    }

    func testAVersionThatTurnsEarlierForgottenAnswersIntoWordSaladIsRefused() throws {
        // The job's own answers are fluent (0.02); 3 of the 10 earlier forgotten answers scored are word salad.
        var strict = limits
        strict.maxDegenerateShare = 0.1
        let sample = [0.0004, 0.02, 0.0001, 0.03, 0.05, 0.00002, 0.04, 0.01, 0.02, 0.03]
        let salad = GateResult(scores: [:], utility: 0.5, utilityFigures: [:], baseUtility: 0.5, limits: strict, unforgotten: [], regressed: [],
                               served: [], jobProbabilityRatio: 0.03, jobFluency: 0.02, sampleFluencies: sample, parentDrift: 0)
        XCTAssertEqual(salad.sampleDegenerateCount, 3)
        XCTAssertEqual(salad.sampleDegenerateShare, 0.3, accuracy: 1e-12)
        XCTAssertTrue(salad.isDegenerate)
        XCTAssertFalse(salad.isPublishable)
        let reason = try XCTUnwrap(salad.failureReason)
        XCTAssertTrue(reason.contains("degenerate: 3 of the 10 earlier forget items scored (30.0 %) have answers of fluency below 0.00100"), reason)
        XCTAssertTrue(reason.contains("more than 10.0 %"), reason)
        XCTAssertFalse(reason.contains("the job's answers have fluency"), "the job's own answers are fluent")
        XCTAssertEqual(salad.metrics["sample_degenerate_share"], .number(0.3))
        XCTAssertEqual(salad.metrics["max_degenerate_share"], .number(0.1))
        // One in ten is within the share; without a sample (a first request) nothing earlier is judged.
        XCTAssertTrue(GateResult(scores: [:], utility: 0.5, utilityFigures: [:], baseUtility: 0.5, limits: strict, unforgotten: [], regressed: [],
                                 served: [], jobProbabilityRatio: 0.03, jobFluency: 0.02, sampleFluencies: [0.0001] + Array(repeating: 0.02, count: 9),
                                 parentDrift: 0).passed, "1 of 10 is within 10 %")
        XCTAssertTrue(result(utility: 0.5, parentDrift: 0).passed, "no sample: nothing earlier to judge")
    }

    func testGeometricMeanHoldsAZeroToTheFloor() {
        XCTAssertEqual(geometricMean([0.01, 1]), 0.1, accuracy: 1e-12)
        XCTAssertEqual(geometricMean([0, 1], floor: 1e-4), 1e-2, accuracy: 1e-12)
        XCTAssertEqual(geometricMean([]), 1)
    }

    func testTheUtilityDriftAlarmsAtItsShareOfTheBudget() throws {
        var gate = DaemonConfiguration.GateSettings()
        gate.maxUtilityDrop = 0.1
        gate.utilityAlarm = 0.75
        let version = { (utility: Double) in
            VersionRecord(id: 7, parent: 6, kind: .unlearn, object: "x", metrics: ["utility": .number(utility), "base_utility": .number(0.5)], chainLength: 0)
        }
        let calm = try XCTUnwrap(UtilityDrift(version(0.48), gate: gate))
        XCTAssertEqual(calm.budgetSpent, 0.4, accuracy: 1e-9)
        XCTAssertFalse(calm.isAlarming)
        XCTAssertFalse(calm.line.contains("ALARM"))
        let near = try XCTUnwrap(UtilityDrift(version(0.46), gate: gate))
        XCTAssertEqual(near.budgetSpent, 0.8, accuracy: 1e-9)
        XCTAssertTrue(near.isAlarming)
        XCTAssertTrue(near.line.contains("8.0 % lost, 80 % of the 10 % budget — ALARM"), near.line)
        XCTAssertNil(UtilityDrift(VersionRecord(id: 0, parent: nil, kind: .initial, object: "x", chainLength: 0), gate: gate))
    }
}
