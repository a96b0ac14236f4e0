import XCTest
import Unlearning

final class MinKProbabilityTests: XCTestCase {
    func testHandComputedScores() throws {
        let logProbabilities = [-0.1, -2.0, -0.5, -3.0, -0.2]
        // 40 % of 5 tokens: the two lowest, −3 and −2.
        XCTAssertEqual(try MinKProbability.score(tokenLogProbabilities: logProbabilities), -2.5)
        // 60 % of 5 = 3 tokens (5 × 0.6 rounds to 3.0 exactly): −3, −2, −0.5.
        XCTAssertEqual(try MinKProbability.score(tokenLogProbabilities: logProbabilities, fraction: 0.6), -5.5 / 3, accuracy: 1e-15)
        XCTAssertEqual(try MinKProbability.score(tokenLogProbabilities: logProbabilities, fraction: 1), -5.8 / 5, accuracy: 1e-15)
        // 40 % of 4 tokens is 1.6: truncated to one token, as MUSE does.
        XCTAssertEqual(try MinKProbability.score(tokenLogProbabilities: [-1, -4, -2, -3]), -4)
    }

    func testShortTextsKeepOneToken() throws {
        // 40 % of 2 tokens truncates to none; MUSE would average nothing (NaN).
        XCTAssertEqual(try MinKProbability.score(tokenLogProbabilities: [-0.3, -1.5]), -1.5)
        XCTAssertEqual(try MinKProbability.score(tokenLogProbabilities: [-0.7]), -0.7)
    }

    private struct Case: Decodable {
        let log_probs: [Double]
        let ratio: Double
        let muse_min_k: Double
    }

    /// MUSE's own expression, −mean(sort(p)[:int(len(p) × ratio)]), from the fixture.
    func testMatchesMuse() throws {
        let cases = try EvaluationFixture.cases("min_k.json", as: Case.self)
        XCTAssertGreaterThan(cases.count, 20)
        for c in cases {
            let score = try MinKProbability.score(tokenLogProbabilities: c.log_probs, fraction: c.ratio)
            XCTAssertEqual(score, -c.muse_min_k, accuracy: 1e-12, "\(c.log_probs.count) tokens, ratio \(c.ratio)")
        }
    }

    func testRejectsEmptyTextsNaNAndImpossibleFractions() {
        XCTAssertThrowsError(try MinKProbability.score(tokenLogProbabilities: [])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .empty(quantity: "tokenLogProbabilities"))
        }
        XCTAssertThrowsError(try MinKProbability.score(tokenLogProbabilities: [-1, .nan])) {
            XCTAssertEqual($0 as? EvaluationMetricError, .notANumber(quantity: "tokenLogProbabilities[1]"))
        }
        for fraction in [0, -0.4, 1.5] {
            XCTAssertThrowsError(try MinKProbability.score(tokenLogProbabilities: [-1], fraction: fraction)) {
                XCTAssertEqual($0 as? EvaluationMetricError, .outOfRange(quantity: "fraction", value: fraction, expected: "in (0, 1]"))
            }
        }
    }
}
