import XCTest
@testable import Unlearning

final class KolmogorovSmirnovDistributionTests: XCTestCase {
    private struct Case: Decodable {
        let n: Int
        let x: Double
        let sf: Double
        let branch: String
    }

    /// scipy's kstwo.sf at points on every branch of its dispatch (the fixture names them).
    func testSurvivalMatchesScipyKstwo() throws {
        let cases = try EvaluationFixture.cases("kstwo.json", as: Case.self)
        XCTAssertEqual(Set(cases.map(\.branch)).count, 12)
        var worst = 0.0
        for c in cases {
            let survival = KolmogorovSmirnovDistribution.survival(c.x, sampleSize: c.n)
            XCTAssertEqual(survival, c.sf, accuracy: 1e-6, "n \(c.n), x \(c.x) (\(c.branch))")
            worst = max(worst, abs(survival - c.sf))
        }
        print("kstwo: \(cases.count) cases, largest difference from scipy \(worst)")
    }

    func testOneValueIsUniform() {
        // D₁ = max(U, 1 − U) for one uniform U: P(D₁ ≥ x) = 2(1 − x) for x ≥ 1/2.
        for x in [0.5, 0.6, 0.75, 0.9] {
            XCTAssertEqual(KolmogorovSmirnovDistribution.survival(x, sampleSize: 1), 2 * (1 - x), accuracy: 1e-12)
        }
    }
}
