import XCTest
@testable import Unlearning

/// The gate's per-item rule: both the greedy answer's recall and the probability against the
/// base version must be at or under their bounds.
final class ForgetCriteriaTests: XCTestCase {
    private func score(rouge: Double, probability: Double, base: Double) -> ForgetItemScore {
        ForgetItemScore(id: "x", rougeLRecall: rouge, probability: probability, baseProbability: base, generated: "")
    }

    func testAnItemIsForgottenOnlyWhenBothBoundsHold() {
        let criteria = ForgetCriteria(maxRougeLRecall: 0.5, maxProbabilityRatio: 0.25)
        XCTAssertTrue(criteria.isForgotten(score(rouge: 0.5, probability: 0.2, base: 0.8)), "both bounds are inclusive")
        XCTAssertFalse(criteria.isForgotten(score(rouge: 0.51, probability: 0.1, base: 0.8)), "still says too much")
        XCTAssertFalse(criteria.isForgotten(score(rouge: 0.1, probability: 0.3, base: 0.8)), "still finds the answer likely")
        XCTAssertEqual(score(rouge: 0, probability: 0.2, base: 0.8).probabilityRatio, 0.25)
    }
}
