import Kernels
import XCTest

/// rstd[n] = 1 / sqrt(mean(x²) + eps), out = weight · x · rstd, in Double.
private func naiveRMSNorm(
    _ input: [Float], _ weight: [Float], rows: Int, channels: Int, epsilon: Float
) -> (out: [Double], rstd: [Double]) {
    var out = [Double](repeating: 0, count: rows * channels), rstd = [Double](repeating: 0, count: rows)
    for n in 0..<rows {
        var meanSquare = 0.0
        for c in 0..<channels { meanSquare += Double(input[n * channels + c]) * Double(input[n * channels + c]) }
        meanSquare /= Double(channels)
        rstd[n] = 1 / (meanSquare + Double(epsilon)).squareRoot()
        for c in 0..<channels { out[n * channels + c] = Double(weight[c]) * Double(input[n * channels + c]) * rstd[n] }
    }
    return (out, rstd)
}

final class RMSNormTests: KernelTestCase {
    private let epsilon: Float = 1e-5

    private func forward(_ input: [Float], _ weight: [Float], rows: Int, channels: Int) -> (out: [Float], rstd: [Float]) {
        var out = [Float](repeating: .nan, count: rows * channels), rstd = [Float](repeating: .nan, count: rows)
        rmsNormForward(&out, rstd: &rstd, input, weight: weight, rows: rows, channels: channels, epsilon: epsilon)
        return (out, rstd)
    }

    func testForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 30)
        // 70 rows: above the 32-row minimum chunk, so 2 and 3 threads split them unevenly.
        forEachThreadCount { threads in
            for (rows, channels) in [(70, 8), (3, 5), (1, 1)] {
                let input = rng.floats(rows * channels, in: -2...2), weight = rng.floats(channels, in: 0.5...1.5)
                let (out, rstd) = forward(input, weight, rows: rows, channels: channels)
                let expected = naiveRMSNorm(input, weight, rows: rows, channels: channels, epsilon: epsilon)
                assertClose(out, expected.out, "out \(rows)x\(channels), \(threads) threads")
                assertClose(rstd, expected.rstd, "rstd \(rows)x\(channels), \(threads) threads")
            }
        }
    }

    /// A zero row normalises to zero with rstd = 1/sqrt(eps), and its gradient stays finite.
    func testZeroRow() {
        let channels = 4
        let input = [Float](repeating: 0, count: channels), weight: [Float] = [1, 2, 3, 4]
        let (out, rstd) = forward(input, weight, rows: 1, channels: channels)
        XCTAssertEqual(out, [0, 0, 0, 0])
        XCTAssertEqual(Double(rstd[0]), 1 / Double(epsilon).squareRoot(), accuracy: 1e-2)
        var dInput = [Float](repeating: 0, count: channels), dWeight = [Float](repeating: 0, count: channels)
        rmsNormBackward(dInput: &dInput, dWeight: &dWeight, dOut: [1, 1, 1, 1], input: input, weight: weight,
                        rstd: rstd, rows: 1, channels: channels)
        XCTAssertTrue(dInput.allSatisfy(\.isFinite))
        XCTAssertEqual(dWeight, [0, 0, 0, 0])
    }

    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 31)
        forEachThreadCount([1, 2]) { threads in
            let (rows, channels) = (70, 6)
            let input = rng.floats(rows * channels, in: -2...2), weight = rng.floats(channels, in: 0.5...1.5)
            let r = rng.floats(rows * channels)
            func loss(_ input: [Float], _ weight: [Float]) -> Double {
                weightedSum(r, forward(input, weight, rows: rows, channels: channels).out)
            }
            let rstd = forward(input, weight, rows: rows, channels: channels).rstd
            var dInput = [Float](repeating: 0, count: rows * channels), dWeight = [Float](repeating: 0, count: channels)
            rmsNormBackward(dInput: &dInput, dWeight: &dWeight, dOut: r, input: input, weight: weight,
                            rstd: rstd, rows: rows, channels: channels)
            checkGradient("rmsnorm dInput, \(threads) threads", analytic: dInput, of: { loss($0, weight) }, at: input)
            checkGradient("rmsnorm dWeight, \(threads) threads", analytic: dWeight, of: { loss(input, $0) }, at: weight)
        }
    }

    /// Both gradients add to what is already there (the residual stream's gradient arrives first).
    func testBackwardAccumulates() {
        var rng = SeededGenerator(seed: 32)
        forEachThreadCount { threads in
            let (rows, channels) = (70, 5)
            let input = rng.floats(rows * channels), weight = rng.floats(channels), dOut = rng.floats(rows * channels)
            let rstd = forward(input, weight, rows: rows, channels: channels).rstd
            var freshInput = [Float](repeating: 0, count: rows * channels), freshWeight = [Float](repeating: 0, count: channels)
            rmsNormBackward(dInput: &freshInput, dWeight: &freshWeight, dOut: dOut, input: input, weight: weight,
                            rstd: rstd, rows: rows, channels: channels)
            XCTAssertGreaterThan(norm(freshInput), 0.1)
            XCTAssertGreaterThan(norm(freshWeight), 0.1)

            let existingInput = rng.floats(rows * channels), existingWeight = rng.floats(channels)
            var dInput = existingInput, dWeight = existingWeight
            rmsNormBackward(dInput: &dInput, dWeight: &dWeight, dOut: dOut, input: input, weight: weight,
                            rstd: rstd, rows: rows, channels: channels)
            assertClose(dInput, zip(existingInput, freshInput).map { Double($0) + Double($1) },
                        "dInput accumulates, \(threads) threads")
            assertClose(dWeight, zip(existingWeight, freshWeight).map { Double($0) + Double($1) },
                        "dWeight accumulates, \(threads) threads")
        }
    }
}
