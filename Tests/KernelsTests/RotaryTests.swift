import Kernels
import XCTest

/// Hugging Face's formulation, written out literally in Double:
///   invFreq[i] = 1 / theta^(2i/D), emb = cat(freqs, freqs), cos = cos(emb), sin = sin(emb),
///   rotate_half(v) = cat(−v[D/2:], v[:D/2]),  v' = v·cos + rotate_half(v)·sin.
/// Elements of a row past the heads (row stride padding) are left as they are.
private func naiveRotary(
    _ x: [Float], positions: [Int32], headDim: Int, theta: Double, rowStride: Int, heads: Int
) -> [Double] {
    let half = headDim / 2
    var out = x.map(Double.init)
    for (n, position) in positions.enumerated() {
        let emb = (0..<headDim).map { k in Double(position) / pow(theta, Double(2 * (k % half)) / Double(headDim)) }
        for h in 0..<heads {
            let base = n * rowStride + h * headDim
            let v = (0..<headDim).map { Double(x[base + $0]) }
            let rotated = v[half...].map { -$0 } + v[..<half]
            for k in 0..<headDim { out[base + k] = v[k] * cos(emb[k]) + rotated[k] * sin(emb[k]) }
        }
    }
    return out
}

final class RotaryTests: KernelTestCase {
    func testTableMatchesDoubleAngles() {
        for (headDim, theta) in [(8, 10_000.0), (6, 500_000.0), (2, 10.0)] {
            let table = RotaryTable(headDim: headDim, positions: 12, theta: Float(theta))
            let half = headDim / 2
            XCTAssertEqual(table.cos.count, 12 * half)
            XCTAssertEqual(table.sin.count, 12 * half)
            var expectedCos = [Double](), expectedSin = [Double]()
            for p in 0..<12 {
                for i in 0..<half {
                    let angle = Double(p) / pow(theta, Double(2 * i) / Double(headDim))
                    expectedCos.append(cos(angle))
                    expectedSin.append(sin(angle))
                }
            }
            assertClose(table.cos, expectedCos, "cos D=\(headDim) theta=\(theta)")
            assertClose(table.sin, expectedSin, "sin D=\(headDim) theta=\(theta)")
        }
    }

    /// Several positions (some repeated, position 0 included) and heads, with a row stride
    /// larger than heads·D whose padding must be left untouched.
    func testForwardMatchesNaiveRotateHalf() {
        var rng = SeededGenerator(seed: 40)
        let (headDim, heads, rowStride) = (8, 3, 29)
        forEachThreadCount { threads in
            for theta in [10_000.0, 100.0] {
                let table = RotaryTable(headDim: headDim, positions: 10, theta: Float(theta))
                for positions in [[0, 5, 2, 7, 7, 1, 9] as [Int32], rng.int32s(130, in: 0..<10)] {
                    let x = rng.floats(positions.count * rowStride)
                    var rotated = x
                    rotaryForward(&rotated, positions: positions, table: table, count: positions.count,
                                  rowStride: rowStride, heads: heads)
                    let expected = naiveRotary(x, positions: positions, headDim: headDim, theta: theta,
                                               rowStride: rowStride, heads: heads)
                    assertClose(rotated, expected, "\(positions.count) rows, theta \(theta), \(threads) threads")
                    for n in positions.indices {
                        let padding = n * rowStride + heads * headDim..<(n + 1) * rowStride
                        XCTAssertEqual(Array(rotated[padding]), Array(x[padding]), "padding of row \(n)")
                    }
                }
            }
        }
    }

    func testPositionZeroIsIdentity() {
        var rng = SeededGenerator(seed: 41)
        let table = RotaryTable(headDim: 4, positions: 3, theta: 10_000)
        let x = rng.floats(2 * 8)
        var rotated = x
        rotaryForward(&rotated, positions: [0, 0], table: table, count: 2, rowStride: 8, heads: 2)
        XCTAssertEqual(rotated, x)
    }

    /// The backward is the transpose of the forward: ⟨R x, y⟩ = ⟨x, Rᵀ y⟩, and Rᵀ R = I.
    func testBackwardIsTransposeOfForward() {
        var rng = SeededGenerator(seed: 42)
        let (headDim, heads, rowStride) = (6, 2, 14)
        let table = RotaryTable(headDim: headDim, positions: 16, theta: 50)
        forEachThreadCount { threads in
            for count in [5, 130] {
                let positions = rng.int32s(count, in: 0..<16)
                let x = rng.floats(count * rowStride), y = rng.floats(count * rowStride)
                var rx = x, ry = y
                rotaryForward(&rx, positions: positions, table: table, count: count, rowStride: rowStride, heads: heads)
                rotaryBackward(&ry, positions: positions, table: table, count: count, rowStride: rowStride, heads: heads)
                let left = weightedSum(y, rx), right = weightedSum(ry, x)
                XCTAssertEqual(left, right, accuracy: 1e-5 * max(1, abs(left)), "adjoint, \(count) rows, \(threads) threads")
                // Rotating back restores the input.
                rotaryBackward(&rx, positions: positions, table: table, count: count, rowStride: rowStride, heads: heads)
                assertClose(rx, x, "backward ∘ forward, \(count) rows, \(threads) threads")
                XCTAssertGreaterThan(relativeError(ry, y.map(Double.init)), 0.1, "the rotation is not trivial")
            }
        }
    }

    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 43)
        let (headDim, heads, rowStride, count) = (8, 3, 27, 6)
        let table = RotaryTable(headDim: headDim, positions: 8, theta: 100)
        let positions: [Int32] = [0, 3, 7, 1, 1, 5]
        let x = rng.floats(count * rowStride), r = rng.floats(count * rowStride)
        let loss = { (x: [Float]) -> Double in
            var y = x
            rotaryForward(&y, positions: positions, table: table, count: count, rowStride: rowStride, heads: heads)
            return weightedSum(r, y)
        }
        var dx = r
        rotaryBackward(&dx, positions: positions, table: table, count: count, rowStride: rowStride, heads: heads)
        checkGradient("rotary dx", analytic: dx, of: loss, at: x)
    }
}
