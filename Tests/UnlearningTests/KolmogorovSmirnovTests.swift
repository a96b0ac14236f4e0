import XCTest
@testable import Unlearning

final class KolmogorovSmirnovTests: XCTestCase {
    private struct Case: Decodable {
        let name: String
        let a: EvaluationFixture.Sample
        let b: EvaluationFixture.Sample
        let statistic: Double
        let pvalue: Double
        let method: String
    }

    func testMatchesScipyKs2samp() throws {
        let cases = try EvaluationFixture.cases("ks_2samp.json", as: Case.self)
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        XCTAssertEqual(Set(cases.map(\.method)), ["exact", "kstwo"])
        var worstPValueError = 0.0
        for c in cases {
            let result = try KolmogorovSmirnov.twoSample(c.a.values, c.b.values)
            XCTAssertEqual(result.statistic, c.statistic, accuracy: 1e-12, c.name)
            XCTAssertEqual(result.pValue, c.pvalue, accuracy: 1e-6, c.name)
            worstPValueError = max(worstPValueError, abs(result.pValue - c.pvalue))
        }
        print("ks_2samp: \(cases.count) cases, largest p-value difference from scipy \(worstPValueError)")
    }

    func testSwappingOrShufflingTheSamplesChangesNothing() throws {
        let cases = try EvaluationFixture.cases("ks_2samp.json", as: Case.self).filter { $0.a.values.count <= 400 }
        var generator = SystemRandomNumberGenerator()
        for c in cases {
            let forward = try KolmogorovSmirnov.twoSample(c.a.values, c.b.values)
            let swapped = try KolmogorovSmirnov.twoSample(c.b.values.shuffled(using: &generator), c.a.values.shuffled(using: &generator))
            XCTAssertEqual(forward.statistic, swapped.statistic, c.name)
            XCTAssertEqual(forward.pValue, swapped.pValue, accuracy: 1e-12, c.name)
        }
    }

    /// The lattice-path probabilities against a count of every way to merge n and m distinct
    /// values: P(D ≥ h/lcm) is the share of merges whose ECDFs ever differ by h/lcm or more.
    func testExactProbabilityCountsEveryMerge() {
        for n in 1...6 {
            for m in 1...6 {
                let g = KolmogorovSmirnov.greatestCommonDivisor(n, m)
                let largestSteps = mergesByLargestSteps(n, m)
                let total = Double(largestSteps.count)
                for h in 1...(n / g * m) {
                    let counted = Double(largestSteps.filter { $0 >= h }.count) / total
                    if let exact = KolmogorovSmirnovLatticePaths.probabilityOfDistance(atLeast: h, sampleSizes: n, m) {
                        XCTAssertEqual(exact, counted, accuracy: 1e-12, "n \(n), m \(m), h \(h)")
                    } else {
                        // Given up only where rounding pushed a probability of 1 just past it.
                        XCTAssertEqual(counted, 1, "n \(n), m \(m), h \(h)")
                    }
                }
            }
        }
    }

    /// For each merge of n and m values (a bit mask, 1 = a value of the first sample), the
    /// largest |x·m/g − y·n/g| along its path.
    private func mergesByLargestSteps(_ n: Int, _ m: Int) -> [Int] {
        let g = KolmogorovSmirnov.greatestCommonDivisor(n, m)
        return (0..<(1 << (n + m))).filter { $0.nonzeroBitCount == n }.map { mask in
            var x = 0, y = 0, largest = 0
            for position in 0..<(n + m) {
                if mask & (1 << position) != 0 { x += 1 } else { y += 1 }
                largest = max(largest, abs(x * (m / g) - y * (n / g)))
            }
            return largest
        }
    }

    func testStatisticOfKnownSamples() throws {
        // Every value of a below every value of b: at x = 3, F_a = 1 and F_b = 0.
        XCTAssertEqual(try KolmogorovSmirnov.twoSample([1, 2, 3], [4, 5]).statistic, 1)
        // Ties across the samples count on both sides at once: at x = 1, F_a = 1/2 and F_b = 0;
        // at x = 2 both are 1 (evaluating F_b "between" the 2s would give 1/2 there).
        XCTAssertEqual(try KolmogorovSmirnov.twoSample([1, 2], [2, 2]).statistic, 0.5)
        XCTAssertEqual(try KolmogorovSmirnov.twoSample([2, 2], [2, 3]).statistic, 0.5)
        XCTAssertEqual(try KolmogorovSmirnov.twoSample([1, 2, 2], [2, 1, 2]).pValue, 1)
    }

    func testRejectsEmptySamplesAndNaN() {
        XCTAssertThrowsError(try KolmogorovSmirnov.twoSample([], [1])) { XCTAssertEqual($0 as? EvaluationMetricError, .empty(quantity: "a")) }
        XCTAssertThrowsError(try KolmogorovSmirnov.twoSample([1, 2], [3, .nan])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .notANumber(quantity: "b[1]"))
        }
    }
}
