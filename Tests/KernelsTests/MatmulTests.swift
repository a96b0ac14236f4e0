import Kernels
import XCTest

/// out[n, o] = Σ_i input[n, i] · weight[o, i], in Double.
private func naiveMatmul(_ input: [Float], _ weight: [Float], rows: Int, inputs: Int, outputs: Int) -> [Double] {
    var out = [Double](repeating: 0, count: rows * outputs)
    for n in 0..<rows {
        for o in 0..<outputs {
            var sum = 0.0
            for i in 0..<inputs { sum += Double(input[n * inputs + i]) * Double(weight[o * inputs + i]) }
            out[n * outputs + o] = sum
        }
    }
    return out
}

/// dInput = dOut · weight and dWeight = dOutᵀ · input, in Double.
private func naiveMatmulBackward(
    _ dOut: [Float], _ input: [Float], _ weight: [Float], rows: Int, inputs: Int, outputs: Int
) -> (dInput: [Double], dWeight: [Double]) {
    var dInput = [Double](repeating: 0, count: rows * inputs)
    var dWeight = [Double](repeating: 0, count: outputs * inputs)
    for n in 0..<rows {
        for o in 0..<outputs {
            let d = Double(dOut[n * outputs + o])
            for i in 0..<inputs {
                dInput[n * inputs + i] += d * Double(weight[o * inputs + i])
                dWeight[o * inputs + i] += d * Double(input[n * inputs + i])
            }
        }
    }
    return (dInput, dWeight)
}

final class MatmulTests: KernelTestCase {
    // 37 rows and 33 outputs: with 2 or 3 threads (minimum chunk 16 rows) both the row split
    // of the forward/dInput and the output split of dWeight run as uneven chunks.
    // 50 rows × 48 outputs gives three chunks (17, 17, 16) under 3 threads.
    private let shapes: [(rows: Int, inputs: Int, outputs: Int)] = [(37, 6, 33), (50, 5, 48), (3, 4, 2), (1, 7, 1)]

    func testForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 10)
        forEachThreadCount { threads in
            for (rows, inputs, outputs) in shapes {
                let input = rng.floats(rows * inputs), weight = rng.floats(outputs * inputs)
                var out = [Float](repeating: .nan, count: rows * outputs) // overwritten, never read
                matmulForward(&out, input, weight, rows: rows, inputs: inputs, outputs: outputs)
                assertClose(out, naiveMatmul(input, weight, rows: rows, inputs: inputs, outputs: outputs),
                            "forward \(rows)x\(inputs)x\(outputs), \(threads) threads")
            }
        }
    }

    func testForwardAccumulates() {
        var rng = SeededGenerator(seed: 11)
        forEachThreadCount { threads in
            for (rows, inputs, outputs) in shapes {
                let input = rng.floats(rows * inputs), weight = rng.floats(outputs * inputs)
                let existing = rng.floats(rows * outputs)
                var out = existing
                matmulForward(&out, input, weight, rows: rows, inputs: inputs, outputs: outputs, accumulate: true)
                let product = naiveMatmul(input, weight, rows: rows, inputs: inputs, outputs: outputs)
                let expected = zip(existing, product).map { Double($0) + $1 }
                assertClose(out, expected, "accumulate \(rows)x\(inputs)x\(outputs), \(threads) threads")
            }
        }
    }

    func testBackwardMatchesNaive() {
        var rng = SeededGenerator(seed: 12)
        forEachThreadCount { threads in
            for (rows, inputs, outputs) in shapes {
                let input = rng.floats(rows * inputs), weight = rng.floats(outputs * inputs)
                let dOut = rng.floats(rows * outputs)
                var dInput = [Float](repeating: .nan, count: rows * inputs) // overwritten
                var dWeight = [Float](repeating: 0, count: outputs * inputs)
                matmulBackward(dInput: &dInput, dWeight: &dWeight, dOut: dOut, input: input, weight: weight,
                               rows: rows, inputs: inputs, outputs: outputs)
                let expected = naiveMatmulBackward(dOut, input, weight, rows: rows, inputs: inputs, outputs: outputs)
                assertClose(dInput, expected.dInput, "dInput \(rows)x\(inputs)x\(outputs), \(threads) threads")
                assertClose(dWeight, expected.dWeight, "dWeight \(rows)x\(inputs)x\(outputs), \(threads) threads")
            }
        }
    }

    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 13)
        forEachThreadCount([1, 2]) { threads in
            let (rows, inputs, outputs) = (37, 6, 33)
            let input = rng.floats(rows * inputs), weight = rng.floats(outputs * inputs)
            let r = rng.floats(rows * outputs)
            func loss(_ input: [Float], _ weight: [Float]) -> Double {
                var out = [Float](repeating: 0, count: rows * outputs)
                matmulForward(&out, input, weight, rows: rows, inputs: inputs, outputs: outputs)
                return weightedSum(r, out)
            }
            var dInput = [Float](repeating: 0, count: rows * inputs)
            var dWeight = [Float](repeating: 0, count: outputs * inputs)
            matmulBackward(dInput: &dInput, dWeight: &dWeight, dOut: r, input: input, weight: weight,
                           rows: rows, inputs: inputs, outputs: outputs)
            checkGradient("matmul dInput, \(threads) threads", analytic: dInput, of: { loss($0, weight) }, at: input)
            checkGradient("matmul dWeight, \(threads) threads", analytic: dWeight, of: { loss(input, $0) }, at: weight)
        }
    }

    /// dWeight is accumulated (micro-batches add up); dInput is overwritten.
    func testWeightGradientAccumulatesAndInputGradientOverwrites() {
        var rng = SeededGenerator(seed: 14)
        forEachThreadCount { threads in
            let (rows, inputs, outputs) = (37, 6, 33)
            let input = rng.floats(rows * inputs), weight = rng.floats(outputs * inputs)
            let dOut = rng.floats(rows * outputs)
            let existing = rng.floats(outputs * inputs)
            var dWeight = existing
            var dInput = rng.floats(rows * inputs, in: 100...1000) // stale values to be overwritten
            matmulBackward(dInput: &dInput, dWeight: &dWeight, dOut: dOut, input: input, weight: weight,
                           rows: rows, inputs: inputs, outputs: outputs)
            let expected = naiveMatmulBackward(dOut, input, weight, rows: rows, inputs: inputs, outputs: outputs)
            assertClose(dWeight, zip(existing, expected.dWeight).map { Double($0) + $1 },
                        "dWeight accumulates once, \(threads) threads")
            assertClose(dInput, expected.dInput, "dInput overwritten, \(threads) threads")

            // A second micro-batch adds its own gradient on top.
            matmulBackward(dInput: &dInput, dWeight: &dWeight, dOut: dOut, input: input, weight: weight,
                           rows: rows, inputs: inputs, outputs: outputs)
            assertClose(dWeight, zip(existing, expected.dWeight).map { Double($0) + 2 * $1 },
                        "dWeight accumulates twice, \(threads) threads")
            assertClose(dInput, expected.dInput, "dInput still overwritten, \(threads) threads")
        }
    }

    func testNilInputGradientStillComputesWeightGradient() {
        var rng = SeededGenerator(seed: 15)
        forEachThreadCount { threads in
            for (rows, inputs, outputs) in shapes {
                let input = rng.floats(rows * inputs), weight = rng.floats(outputs * inputs)
                let dOut = rng.floats(rows * outputs)
                var dWeight = [Float](repeating: 0, count: outputs * inputs)
                matmulBackward(dInput: nil, dWeight: &dWeight, dOut: dOut, input: input, weight: weight,
                               rows: rows, inputs: inputs, outputs: outputs)
                let expected = naiveMatmulBackward(dOut, input, weight, rows: rows, inputs: inputs, outputs: outputs)
                assertClose(dWeight, expected.dWeight, "dWeight without dInput \(rows)x\(inputs)x\(outputs), \(threads) threads")
            }
        }
    }

    /// Splitting rows across threads must not change any result beyond rounding.
    func testThreadCountDoesNotChangeResults() {
        var rng = SeededGenerator(seed: 16)
        let (rows, inputs, outputs) = (50, 5, 48)
        let input = rng.floats(rows * inputs), weight = rng.floats(outputs * inputs), dOut = rng.floats(rows * outputs)
        func run() -> [Float] {
            var out = [Float](repeating: 0, count: rows * outputs)
            var dInput = [Float](repeating: 0, count: rows * inputs)
            var dWeight = [Float](repeating: 0, count: outputs * inputs)
            matmulForward(&out, input, weight, rows: rows, inputs: inputs, outputs: outputs)
            matmulBackward(dInput: &dInput, dWeight: &dWeight, dOut: dOut, input: input, weight: weight,
                           rows: rows, inputs: inputs, outputs: outputs)
            return out + dInput + dWeight
        }
        Parallelism.setThreadCount(1)
        let serial = run()
        for threads in [2, 3, 7] {
            Parallelism.setThreadCount(threads)
            assertClose(run(), serial, absolute: 1e-6, relative: 1e-6, "\(threads) threads vs 1")
        }
    }
}
