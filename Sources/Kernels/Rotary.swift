import Foundation

// Rotary position embedding in Hugging Face's `rotate_half` convention: a head vector of
// size D is split into halves (x1, x2) and rotated pairwise by angle pos · invFreq[i],
//   x1' = x1·cos − x2·sin,   x2' = x2·cos + x1·sin,   invFreq[i] = 1 / theta^(2i / D)
// unscaled; rope scaling (Llama 3, linear, dynamic NTK) hands the table other invFreq.
// Angles are computed in Float32 exactly as `LlamaRotaryEmbedding` does.

/// cos and sin of every (position, frequency) pair, [positions, D/2] each.
public struct RotaryTable: Sendable {
    public let headDim: Int
    public let positions: Int
    public let cos: [Float]
    public let sin: [Float]

    /// The table of `inverseFrequencies` (D/2 of them) for positions 0..<positions.
    public init(positions: Int, inverseFrequencies: [Float]) {
        let half = inverseFrequencies.count
        var cos = [Float](repeating: 0, count: positions * half)
        var sin = cos
        for (i, invFreq) in inverseFrequencies.enumerated() {
            for p in 0..<positions {
                let angle = Float(p) * invFreq
                cos[p * half + i] = Foundation.cos(angle)
                sin[p * half + i] = Foundation.sin(angle)
            }
        }
        self.headDim = 2 * half
        self.positions = positions
        self.cos = cos
        self.sin = sin
    }

    /// Unscaled rotary embedding.
    public init(headDim: Int, positions: Int, theta: Float) {
        self.init(positions: positions, inverseFrequencies: Self.inverseFrequencies(headDim: headDim, theta: theta))
    }

    /// 1 / theta^(2i / D) for i in 0..<D/2, in Float32 as transformers computes them.
    public static func inverseFrequencies(headDim: Int, theta: Float) -> [Float] {
        (0..<headDim / 2).map { 1 / Foundation.pow(theta, Float(2 * $0) / Float(headDim)) }
    }
}

/// Rotates, in place, `heads` consecutive head vectors in each of `count` rows
/// (row n starts at `x + n·rowStride` and sits at `positions[n]`).
public func rotaryForward(
    _ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, table: RotaryTable,
    count: Int, rowStride: Int, heads: Int
) {
    rotate(x, positions: positions, table: table, count: count, rowStride: rowStride, heads: heads, direction: 1)
}

/// Backward of `rotaryForward`: the rotation is orthogonal, so the gradient is rotated back.
public func rotaryBackward(
    _ dx: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, table: RotaryTable,
    count: Int, rowStride: Int, heads: Int
) {
    rotate(dx, positions: positions, table: table, count: count, rowStride: rowStride, heads: heads, direction: -1)
}

private func rotate(
    _ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, table: RotaryTable,
    count: Int, rowStride: Int, heads: Int, direction: Float
) {
    let half = table.headDim / 2
    table.cos.withUnsafeBufferPointer { cosTable in
        table.sin.withUnsafeBufferPointer { sinTable in
            Parallelism.forEachChunk(of: count, minimumChunk: 64) { chunk in
                for n in chunk {
                    let cos = cosTable.baseAddress! + Int(positions[n]) * half
                    let sin = sinTable.baseAddress! + Int(positions[n]) * half
                    for h in 0..<heads {
                        let x1 = x + n * rowStride + h * table.headDim, x2 = x1 + half
                        for i in 0..<half {
                            let a = x1[i], b = x2[i], s = direction * sin[i]
                            x1[i] = a * cos[i] - b * s
                            x2[i] = b * cos[i] + a * s
                        }
                    }
                }
            }
        }
    }
}
