import XCTest
import Unlearning

final class EvaluationPrivLeakTests: XCTestCase {
    func testRelativeChangeInPercent() throws {
        XCTAssertEqual(try PrivLeak.percent(unlearnedAUC: 0.25, retainAUC: 0.5), -50)
        XCTAssertEqual(try PrivLeak.percent(unlearnedAUC: 0.5, retainAUC: 0.5), 0)
        XCTAssertEqual(try PrivLeak.percent(unlearnedAUC: 0.6, retainAUC: 0.48), 25, accuracy: 1e-12)
    }

    func testARememberedForgetSplitPushesTheAreaToZero() throws {
        // The forget texts score high (the model still finds them likely), the held-out low.
        let remembered = try PrivLeak.areaUnderCurve(forgetScores: [-0.1, -0.3, -0.2], holdoutScores: [-2, -3.5])
        XCTAssertEqual(remembered, 0)
        XCTAssertEqual(try PrivLeak.percent(unlearnedAUC: remembered, retainAUC: 0.5), -100)
        // Forgotten past held-out text: over-unlearning, a positive PrivLeak.
        XCTAssertEqual(try PrivLeak.areaUnderCurve(forgetScores: [-4, -5], holdoutScores: [-2, -4]), 0.875)
    }

    func testRejectsAreasThatAreNotProbabilities() {
        XCTAssertThrowsError(try PrivLeak.percent(unlearnedAUC: 0.4, retainAUC: 0)) {
            XCTAssertEqual($0 as? EvaluationMetricError, .outOfRange(quantity: "retainAUC", value: 0, expected: "above 0 (it divides)"))
        }
        XCTAssertThrowsError(try PrivLeak.percent(unlearnedAUC: 1.2, retainAUC: 0.5)) {
            XCTAssertEqual($0 as? EvaluationMetricError, .outOfRange(quantity: "unlearnedAUC", value: 1.2, expected: "in [0, 1]"))
        }
        XCTAssertThrowsError(try PrivLeak.percent(unlearnedAUC: 0.5, retainAUC: .nan)) {
            XCTAssertEqual($0 as? EvaluationMetricError, .notANumber(quantity: "retainAUC"))
        }
    }
}
