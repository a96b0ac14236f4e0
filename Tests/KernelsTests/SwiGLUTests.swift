import Kernels
import XCTest

/// out[n, i] = silu(gate) · up with silu(g) = g / (1 + e^−g), in Double.
private func naiveSwiGLU(_ gateUp: [Float], rows: Int, hidden: Int) -> [Double] {
    var out = [Double](repeating: 0, count: rows * hidden)
    for n in 0..<rows {
        for i in 0..<hidden {
            let g = Double(gateUp[n * 2 * hidden + i]), u = Double(gateUp[n * 2 * hidden + hidden + i])
            out[n * hidden + i] = g / (1 + exp(-g)) * u
        }
    }
    return out
}

final class SwiGLUTests: KernelTestCase {
    private func forward(_ gateUp: [Float], rows: Int, hidden: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * hidden)
        swiGLUForward(&out, gateUp: gateUp, rows: rows, hidden: hidden)
        return out
    }

    func testForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 70)
        // 35 rows: above the 16-row minimum chunk, so 2 and 3 threads split them unevenly.
        forEachThreadCount { threads in
            for (rows, hidden) in [(35, 5), (1, 3), (2, 8), (3, 19)] { // 8-lane vectors: tail only, exact, full + tail
                let gateUp = rng.floats(rows * 2 * hidden, in: -4...4)
                assertClose(forward(gateUp, rows: rows, hidden: hidden), naiveSwiGLU(gateUp, rows: rows, hidden: hidden),
                            "\(rows)x\(hidden), \(threads) threads")
            }
        }
    }

    /// Large |gate| saturates the sigmoid; nothing may overflow into inf or NaN.
    func testSaturatedGates() {
        let gateUp: [Float] = [-200, -30, 0, 30, 200, /* up */ 2, 2, 2, 2, 2]
        let out = forward(gateUp, rows: 1, hidden: 5)
        assertClose(out, naiveSwiGLU(gateUp, rows: 1, hidden: 5), absolute: 1e-5, relative: 1e-6, "saturated forward")
        var dGateUp = [Float](repeating: .nan, count: 10)
        swiGLUBackward(dGateUp: &dGateUp, dOut: [1, 1, 1, 1, 1], gateUp: gateUp, rows: 1, hidden: 5)
        XCTAssertTrue(dGateUp.allSatisfy(\.isFinite), "\(dGateUp)")
        // d silu/dg → 0 for g → −∞, 1 for g → +∞ and ½ at 0; d/dup = silu(g).
        assertClose(Array(dGateUp[0..<5]), [0, 0, 1, 2, 2] as [Double], absolute: 1e-5, relative: 0, "saturated dGate")
        assertClose(Array(dGateUp[5..<10]), [0, -30 / (1 + exp(30.0)), 0, 30 / (1 + exp(-30.0)), 200] as [Double],
                    absolute: 1e-5, relative: 1e-6, "saturated dUp")
    }

    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 71)
        forEachThreadCount([1, 2]) { threads in
            let (rows, hidden) = (35, 11)
            let gateUp = rng.floats(rows * 2 * hidden, in: -3...3), r = rng.floats(rows * hidden)
            var dGateUp = [Float](repeating: .nan, count: gateUp.count) // both halves must be written
            swiGLUBackward(dGateUp: &dGateUp, dOut: r, gateUp: gateUp, rows: rows, hidden: hidden)
            let loss = { (gateUp: [Float]) -> Double in weightedSum(r, self.forward(gateUp, rows: rows, hidden: hidden)) }
            let gates = gateUp.indices.filter { $0 % (2 * hidden) < hidden }
            let ups = gateUp.indices.filter { $0 % (2 * hidden) >= hidden }
            checkGradient("swiglu dGate, \(threads) threads", analytic: dGateUp, of: loss, at: gateUp, indices: gates)
            checkGradient("swiglu dUp, \(threads) threads", analytic: dGateUp, of: loss, at: gateUp, indices: ups)
        }
    }
}
