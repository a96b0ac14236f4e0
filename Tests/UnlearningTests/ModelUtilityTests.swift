import XCTest
import Unlearning

final class ModelUtilityTests: XCTestCase {
    func testHarmonicMean() throws {
        // 3 / (1/1 + 1/0.5 + 1/0.25) = 3/7.
        XCTAssertEqual(try ModelUtility.harmonicMean([1, 0.5, 0.25]), 3.0 / 7.0, accuracy: 1e-15)
        XCTAssertEqual(try ModelUtility.harmonicMean([0.4]), 0.4)
        XCTAssertEqual(try ModelUtility.harmonicMean([0.9, 0, 0.8]), 0)
    }

    func testHandComputedUtilityOfSixFigures() throws {
        let utility = try ModelUtility(
            retain: .init(probability: 0.5, rougeLRecall: 0.5, truthRatioScore: 0.5),
            general: .init(probability: 1, rougeLRecall: 1, truthRatioScore: 0.25))
        // 6 / (2 + 2 + 2 + 1 + 1 + 4) = 0.5.
        XCTAssertEqual(utility.value, 0.5, accuracy: 1e-15)
        let forgotten = try ModelUtility(
            retain: .init(probability: 0.9, rougeLRecall: 0, truthRatioScore: 0.7),
            general: .init(probability: 0.8, rougeLRecall: 0.9, truthRatioScore: 0.6))
        XCTAssertEqual(forgotten.value, 0)
    }

    func testRejectsFiguresOutsideTheUnitInterval() {
        XCTAssertThrowsError(try ModelUtility(
            retain: .init(probability: 0.5, rougeLRecall: 0.5, truthRatioScore: 0.5),
            general: .init(probability: 0.5, rougeLRecall: 1.5, truthRatioScore: 0.5))) {
            XCTAssertEqual($0 as? EvaluationMetricError, .outOfRange(quantity: "general.rougeLRecall", value: 1.5, expected: "in [0, 1]"))
        }
        XCTAssertThrowsError(try ModelUtility(
            retain: .init(probability: .nan, rougeLRecall: 0.5, truthRatioScore: 0.5),
            general: .init(probability: 0.5, rougeLRecall: 0.5, truthRatioScore: 0.5))) {
            XCTAssertEqual($0 as? EvaluationMetricError, .notANumber(quantity: "retain.probability"))
        }
        XCTAssertThrowsError(try ModelUtility.harmonicMean([])) { XCTAssertEqual($0 as? EvaluationMetricError, .empty(quantity: "figures")) }
        XCTAssertThrowsError(try ModelUtility.harmonicMean([1, -0.5])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .outOfRange(quantity: "figures[1]", value: -0.5, expected: "finite and ≥ 0"))
        }
    }
}
