import XCTest
import Unlearning

final class AreaUnderCurveTests: XCTestCase {
    func testHandComputedArea() throws {
        // Pairs (positive, negative): 0.9 beats both, 0.5 ties 0.5 and beats 0.1: (3 + ½) / 4.
        XCTAssertEqual(try AreaUnderCurve.receiverOperatingCharacteristic(positives: [0.9, 0.5], negatives: [0.5, 0.1]), 0.875)
        XCTAssertEqual(try AreaUnderCurve.receiverOperatingCharacteristic(positives: [2, 3], negatives: [0, 1]), 1)
        XCTAssertEqual(try AreaUnderCurve.receiverOperatingCharacteristic(positives: [0, 1], negatives: [2, 3]), 0)
        XCTAssertEqual(try AreaUnderCurve.receiverOperatingCharacteristic(positives: [1, 1], negatives: [1]), 0.5)
    }

    private struct Case: Decodable {
        let name: String
        let positives: [Double]
        let negatives: [Double]
        let auc: Double
    }

    func testMatchesScikitLearn() throws {
        let cases = try EvaluationFixture.cases("roc_auc.json", as: Case.self)
        XCTAssertGreaterThanOrEqual(cases.count, 5)
        for c in cases {
            let area = try AreaUnderCurve.receiverOperatingCharacteristic(positives: c.positives, negatives: c.negatives)
            XCTAssertEqual(area, c.auc, accuracy: 1e-12, c.name)
        }
    }

    func testRejectsAMissingClassAndNaN() {
        XCTAssertThrowsError(try AreaUnderCurve.receiverOperatingCharacteristic(positives: [1], negatives: [])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .empty(quantity: "negatives"))
        }
        XCTAssertThrowsError(try AreaUnderCurve.receiverOperatingCharacteristic(positives: [.nan], negatives: [1])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .notANumber(quantity: "positives[0]"))
        }
    }
}
