import Foundation
import Kernels
import XCTest

/// `fastExp` replaces libm's expf inside softmax, SwiGLU and cross-entropy, so its accuracy
/// bounds theirs.
final class VectorMathTests: XCTestCase {
    /// Within 2.5 ulp of the Double exp over [−87.3, 88.3] (measured: 1.3 ulp). (From x ≈ 88.38, where
    /// x·log2(e) rounds to k = 128, it returns +∞ although e^x < Float.greatestFiniteMagnitude
    /// up to 88.72; every kernel only calls it on x ≤ 0 or on −x for a sigmoid, where that is harmless.)
    func testFastExpMatchesDouble() {
        var rng = SeededGenerator(seed: 110)
        let grid = stride(from: Float(-87), through: 88.3, by: 0.37).map { $0 }
        let special: [Float] = [0, -0.0, 1, -1, 1e-8, -1e-8, 0.5, -0.6931472, 0.6931472, 88.3, -87.3]
        var worst = 0.0, worstAt: Float = 0
        for x in grid + rng.floats(2000, in: -20...20) + special {
            let expected = Foundation.exp(Double(x))
            let error = abs(Double(fastExp(x)) - expected) / expected
            if error > worst { worst = error; worstAt = x }
        }
        XCTAssertLessThan(worst, 1.5e-7, "documented as about 1 ulp (6e-8); worst relative error \(worst) at x = \(worstAt)")
        XCTAssertEqual(fastExp(0), 1)
    }

    /// Below the range (and at −∞, which masked entries hold) the result is exactly 0; above it, +∞.
    func testFastExpOutOfRange() {
        for x: Float in [-.infinity, -1000, -88, -87.4] { XCTAssertEqual(fastExp(x), 0, "exp(\(x))") }
        for x: Float in [100, .infinity] { XCTAssertEqual(fastExp(x), .infinity, "exp(\(x))") }
        XCTAssertTrue(fastExp(-87.3) > 0 && fastExp(-87.3).isFinite)
    }

    func testSigmoid() {
        for x: Float in [-100, -20, -3, -0.5, 0, 0.25, 2, 20, 100, -.infinity, .infinity] {
            let expected = 1 / (1 + Foundation.exp(-Double(x)))
            XCTAssertEqual(Double(sigmoid(x)), expected, accuracy: 1e-7 + 1e-6 * expected, "sigmoid(\(x))")
        }
        XCTAssertEqual(sigmoid(0), 0.5)
    }
}
