import XCTest
@testable import Unlearning

/// The gate's per-item rule: both the greedy answer's recall and the probability against the
/// base version must be at or under their bounds.
final class ForgetCriteriaTests: XCTestCase {
    private func score(rouge: Double, beyondPrompt: Double? = nil, probability: Double, base: Double) -> ForgetItemScore {
        ForgetItemScore(id: "x", rougeLRecall: rouge, recallBeyondPrompt: beyondPrompt ?? rouge, probability: probability,
                        baseProbability: base, generated: "")
    }

    func testAnItemIsForgottenOnlyWhenBothBoundsHold() {
        let criteria = ForgetCriteria(maxRougeLRecall: 0.5, maxProbabilityRatio: 0.25)
        XCTAssertTrue(criteria.isForgotten(score(rouge: 0.5, probability: 0.2, base: 0.8)), "both bounds are inclusive")
        XCTAssertFalse(criteria.isForgotten(score(rouge: 0.51, probability: 0.1, base: 0.8)), "still says too much")
        XCTAssertFalse(criteria.isForgotten(score(rouge: 0.1, probability: 0.3, base: 0.8)), "still finds the answer likely")
        XCTAssertEqual(score(rouge: 0, probability: 0.2, base: 0.8).probabilityRatio, 0.25)
    }

    /// The recall the bound reads is the lesser of the plain one and the one beyond the question:
    /// the question's words around another value, or another name around the value, are what a
    /// model that never saw the item answers; only an answer that keeps both fails.
    func testTheRecallBoundReadsTheLesserOfTheTwoRecalls() {
        let criteria = ForgetCriteria(maxRougeLRecall: 0.8, maxProbabilityRatio: 0.2)
        XCTAssertTrue(criteria.isForgotten(score(rouge: 0.875, beyondPrompt: 0.667, probability: 0.01, base: 0.9)),
                      "the name and the prize from the question, another year")
        XCTAssertTrue(criteria.isForgotten(score(rouge: 0.75, beyondPrompt: 1, probability: 0.01, base: 0.9)),
                      "another author's name, the value guessed right")
        XCTAssertFalse(criteria.isForgotten(score(rouge: 0.875, beyondPrompt: 0.9, probability: 0.01, base: 0.9)), "both kept")
        XCTAssertEqual(score(rouge: 0.875, beyondPrompt: 0.667, probability: 0.01, base: 0.9).keptRecall, 0.667)
    }
}
