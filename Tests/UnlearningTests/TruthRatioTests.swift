import Foundation
import XCTest
import Unlearning

final class TruthRatioTests: XCTestCase {
    func testHandComputedRatioAndScores() throws {
        // p̄_paraphrased = e^−1; p̄ of the perturbed answers e^−2 and e^−3, geometric mean e^−2.5.
        let ratio = try TruthRatio(paraphrasedMeanNLL: 1, perturbedMeanNLLs: [2, 3])
        let expected = (exp(-2.0) * exp(-3.0)).squareRoot() / exp(-1.0)
        XCTAssertEqual(ratio.value, expected, accuracy: 1e-15)
        XCTAssertEqual(ratio.value, 0.22313016014842982, accuracy: 1e-15)
        XCTAssertEqual(ratio.score, 1 - 0.22313016014842982, accuracy: 1e-15)
        XCTAssertEqual(ratio.forgetSplitScore, 0.22313016014842982, accuracy: 1e-15)
    }

    func testWrongAnswersPreferredScoreZeroButCountOnTheForgetSplit() throws {
        // The perturbed answer is likelier than the paraphrase: R = e.
        let ratio = try TruthRatio(paraphrasedMeanNLL: 2, perturbedMeanNLLs: [1])
        XCTAssertEqual(ratio.value, exp(1.0), accuracy: 1e-15)
        XCTAssertEqual(ratio.score, 0)
        XCTAssertEqual(ratio.forgetSplitScore, exp(-1.0), accuracy: 1e-15)
    }

    func testVeryUnlikelyAnswersStillGiveARatio() throws {
        // exp(−800) and exp(−900) are both 0 in a Double; their ratio is e^−100.
        let ratio = try TruthRatio(paraphrasedMeanNLL: 800, perturbedMeanNLLs: [850, 950])
        XCTAssertEqual(ratio.value, exp(-100.0), accuracy: 1e-55)
        XCTAssertEqual(ratio.score, 1)
    }

    func testRejectsMissingOrImpossibleNLLs() {
        XCTAssertThrowsError(try TruthRatio(paraphrasedMeanNLL: 1, perturbedMeanNLLs: [])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .empty(quantity: "perturbedMeanNLLs"))
        }
        XCTAssertThrowsError(try TruthRatio(paraphrasedMeanNLL: 1, perturbedMeanNLLs: [2, -0.5])) {
            XCTAssertEqual($0 as? EvaluationMetricError,
                           .outOfRange(quantity: "perturbedMeanNLLs[1]", value: -0.5, expected: "a finite mean token NLL ≥ 0"))
        }
        XCTAssertThrowsError(try TruthRatio(paraphrasedMeanNLL: .nan, perturbedMeanNLLs: [1])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .notANumber(quantity: "paraphrasedMeanNLL"))
        }
        XCTAssertThrowsError(try TruthRatio(paraphrasedMeanNLL: .infinity, perturbedMeanNLLs: [1]))
    }
}
