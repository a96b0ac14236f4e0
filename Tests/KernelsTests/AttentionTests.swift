import Kernels
import XCTest

/// Plain loops in Double: query head h of batch b at time i attends to keys j ≤ i with
/// keyMask[b, j] (and j > i − window), using key/value head h / (H / G); a query with no
/// visible key outputs 0.
private func naiveAttention(
    _ qkv: [Float], keyMask: [Bool], batch B: Int, time T: Int, heads H: Int, keyValueHeads G: Int, headDim D: Int,
    window: Int? = nil
) -> (out: [Double], probabilities: [Double]) {
    let stride = (H + 2 * G) * D, scale = 1 / Double(D).squareRoot()
    func q(_ b: Int, _ t: Int, _ h: Int, _ d: Int) -> Double { Double(qkv[(b * T + t) * stride + h * D + d]) }
    func k(_ b: Int, _ t: Int, _ g: Int, _ d: Int) -> Double { Double(qkv[(b * T + t) * stride + (H + g) * D + d]) }
    func v(_ b: Int, _ t: Int, _ g: Int, _ d: Int) -> Double { Double(qkv[(b * T + t) * stride + (H + G + g) * D + d]) }
    var out = [Double](repeating: 0, count: B * T * H * D)
    var probabilities = [Double](repeating: 0, count: B * H * T * T)
    for b in 0..<B {
        for h in 0..<H {
            let g = h / (H / G)
            for i in 0..<T {
                let visible = (0...i).filter { keyMask[b * T + $0] && $0 > i - (window ?? T) }
                guard !visible.isEmpty else { continue }
                var scores = [Double](repeating: 0, count: T)
                for j in visible {
                    for d in 0..<D { scores[j] += q(b, i, h, d) * k(b, j, g, d) }
                    scores[j] *= scale
                }
                let maximum = visible.map { scores[$0] }.max()!
                let sum = visible.reduce(0.0) { $0 + exp(scores[$1] - maximum) }
                for j in visible {
                    let p = exp(scores[j] - maximum) / sum
                    probabilities[((b * H + h) * T + i) * T + j] = p
                    for d in 0..<D { out[(b * T + i) * H * D + h * D + d] += p * v(b, j, g, d) }
                }
            }
        }
    }
    return (out, probabilities)
}

final class AttentionTests: KernelTestCase {
    private let (batch, time, headDim) = (2, 5, 4)
    /// Batch 0 sees every key; in batch 1 keys 0 and 3 are padding, so its query 0 sees nothing.
    private let keyMask: [Bool] = [true, true, true, true, true, false, true, true, false, true]
    /// MHA, GQA with one group of three, and GQA with two groups of three.
    private let headConfigurations = [(heads: 3, keyValueHeads: 3), (heads: 3, keyValueHeads: 1), (heads: 6, keyValueHeads: 2)]

    private func shape(_ heads: Int, _ keyValueHeads: Int, window: Int? = nil) -> AttentionShape {
        AttentionShape(batch: batch, time: time, heads: heads, keyValueHeads: keyValueHeads, headDim: headDim, window: window)
    }

    private func forward(_ qkv: [Float], mask: [Bool], _ s: AttentionShape) -> (out: [Float], probabilities: [Float]) {
        var out = [Float](repeating: .nan, count: s.batch * s.time * s.heads * s.headDim)
        var probabilities = [Float](repeating: .nan, count: s.batch * s.heads * s.time * s.time)
        attentionForward(&out, probabilities: &probabilities, qkv: qkv, keyMask: mask, shape: s)
        return (out, probabilities)
    }

    func testForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 60)
        forEachThreadCount([1, 2]) { threads in
            for (heads, keyValueHeads) in headConfigurations {
                let qkv = rng.floats(batch * time * (heads + 2 * keyValueHeads) * headDim, in: -2...2)
                // Sliding windows of one key (itself), of two, and wider than the sequence.
                let windows: [Int?] = [nil, 1, 2, 9]
                let cases = [[Bool](repeating: true, count: batch * time), keyMask].flatMap { mask in windows.map { (mask, $0) } }
                for (mask, window) in cases {
                    let (out, probabilities) = forward(qkv, mask: mask, shape(heads, keyValueHeads, window: window))
                    let expected = naiveAttention(qkv, keyMask: mask, batch: batch, time: time, heads: heads,
                                                  keyValueHeads: keyValueHeads, headDim: headDim, window: window)
                    let label = "H=\(heads) G=\(keyValueHeads) mask=\(mask.contains(false)) window=\(window.map(String.init) ?? "none"), \(threads) threads"
                    assertClose(out, expected.out, "out " + label)
                    assertClose(probabilities, expected.probabilities, "probabilities " + label)
                }
            }
        }
    }

    /// A query with no visible key (batch 1, time 0 under the padding mask) outputs zeros.
    func testFullyMaskedQueryOutputsZero() {
        var rng = SeededGenerator(seed: 61)
        let s = shape(3, 1)
        let qkv = rng.floats(batch * time * 5 * headDim)
        let (out, probabilities) = forward(qkv, mask: keyMask, s)
        let row = (1 * time + 0) * 3 * headDim
        XCTAssertEqual(Array(out[row..<row + 3 * headDim]), [Float](repeating: 0, count: 3 * headDim))
        for h in 0..<3 {
            let p = ((1 * 3 + h) * time + 0) * time
            XCTAssertEqual(Array(probabilities[p..<p + time]), [Float](repeating: 0, count: time), "head \(h)")
        }
    }

    /// Changing a future token's q, k or v must not change earlier outputs (causality),
    /// and changing a padded key's k or v must not change anything.
    func testCausalityAndPadding() {
        var rng = SeededGenerator(seed: 62)
        let (heads, keyValueHeads) = (6, 2)
        let s = shape(heads, keyValueHeads), stride = (heads + 2 * keyValueHeads) * headDim, outStride = heads * headDim
        let qkv = rng.floats(batch * time * stride)
        let base = forward(qkv, mask: keyMask, s).out
        // Time 3 of batch 0: outputs of times 0...2 stay, time 3 changes.
        var future = qkv
        for c in 0..<stride { future[3 * stride + c] += 0.5 }
        let changed = forward(future, mask: keyMask, s).out
        XCTAssertEqual(Array(changed[0..<3 * outStride]), Array(base[0..<3 * outStride]))
        XCTAssertNotEqual(Array(changed[3 * outStride..<4 * outStride]), Array(base[3 * outStride..<4 * outStride]))
        // Time 3 of batch 1 is padding: its k and v are never read.
        var padded = qkv
        for c in heads * headDim..<stride { padded[(time + 3) * stride + c] += 0.5 }
        XCTAssertEqual(forward(padded, mask: keyMask, s).out, base)
    }

    /// Central differences of L = Σ r ⊙ out over every element of qkv, reported separately
    /// for the q, k and v parts so each one must be right on its own; without and with a
    /// sliding window of two keys.
    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 63)
        let windows: [Int?] = [nil, 2]
        forEachThreadCount([1, 2]) { threads in
            for ((heads, keyValueHeads), window) in headConfigurations.flatMap({ heads in windows.map { (heads, $0) } }) {
                let s = shape(heads, keyValueHeads, window: window), stride = (heads + 2 * keyValueHeads) * headDim
                let qkv = rng.floats(batch * time * stride), r = rng.floats(batch * time * heads * headDim)
                let (_, probabilities) = forward(qkv, mask: keyMask, s)
                var dQKV = [Float](repeating: .nan, count: qkv.count) // every element must be written
                var scratch = [Float](repeating: .nan, count: batch * heads * time * time)
                attentionBackward(dQKV: &dQKV, scratch: &scratch, dOut: r, qkv: qkv, probabilities: probabilities, shape: s)
                XCTAssertTrue(dQKV.allSatisfy(\.isFinite), "dQKV fully written")

                let loss = { (qkv: [Float]) -> Double in weightedSum(r, self.forward(qkv, mask: self.keyMask, s).out) }
                let parts = [("q", 0..<heads * headDim),
                             ("k", heads * headDim..<(heads + keyValueHeads) * headDim),
                             ("v", (heads + keyValueHeads) * headDim..<stride)]
                for (name, columns) in parts {
                    let indices = qkv.indices.filter { columns.contains($0 % stride) }
                    checkGradient("attention d\(name) H=\(heads) G=\(keyValueHeads) window=\(window.map(String.init) ?? "none"), \(threads) threads",
                                  analytic: dQKV, of: loss, at: qkv, indices: indices)
                }
                // Padded keys (batch 1, times 0 and 3) get no k or v gradient; the fully masked
                // query (batch 1, time 0) gets no q gradient.
                for t in [0, 3] {
                    let row = (time + t) * stride
                    XCTAssertEqual(Array(dQKV[row + heads * headDim..<row + stride]),
                                   [Float](repeating: 0, count: 2 * keyValueHeads * headDim), "padded key \(t)")
                }
                XCTAssertEqual(Array(dQKV[time * stride..<time * stride + heads * headDim]),
                               [Float](repeating: 0, count: heads * headDim), "masked query")
            }
        }
    }

    func testThreadCountDoesNotChangeResults() {
        var rng = SeededGenerator(seed: 64)
        let s = shape(6, 2)
        let qkv = rng.floats(batch * time * 10 * headDim), dOut = rng.floats(batch * time * 6 * headDim)
        func run() -> [Float] {
            let (out, probabilities) = forward(qkv, mask: keyMask, s)
            var dQKV = [Float](repeating: 0, count: qkv.count), scratch = [Float](repeating: 0, count: batch * 6 * time * time)
            attentionBackward(dQKV: &dQKV, scratch: &scratch, dOut: dOut, qkv: qkv, probabilities: probabilities, shape: s)
            return out + probabilities + dQKV
        }
        Parallelism.setThreadCount(1)
        let serial = run()
        for threads in [2, 4] {
            Parallelism.setThreadCount(threads)
            XCTAssertEqual(run(), serial, "\(threads) threads vs 1")
        }
    }
}
