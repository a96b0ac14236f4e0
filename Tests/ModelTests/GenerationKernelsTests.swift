import Kernels
import Model
import XCTest

/// The inference-only kernels against plain loops in Double, on one and two threads:
/// `cachedAttentionForward` for MHA and GQA, a fresh cache (prefill), queries on top of a
/// filled one, a single query (decode), a masked key; `matrixVectorForward` whole and split.
final class GenerationKernelsTests: XCTestCase {
    override func tearDown() {
        Parallelism.setThreadCount(ProcessInfo.processInfo.activeProcessorCount)
    }

    private func naiveCachedAttention(
        queries: [Float], queryStride: Int, keys: [Float], values: [Float], keyMask: [Bool], start: Int, count: Int,
        shape s: CachedAttentionShape
    ) -> [Double] {
        let H = s.heads, D = s.headDim, scale = 1 / Double(D).squareRoot()
        var out = [Double](repeating: 0, count: count * H * D)
        for n in 0..<count {
            for h in 0..<H {
                let g = h / (H / s.keyValueHeads), visible = (0...(start + n)).filter { keyMask[$0] }
                let scores = visible.map { j in
                    (0..<D).reduce(0.0) { $0 + Double(queries[n * queryStride + h * D + $1]) * Double(keys[s.cacheOffset(group: g, position: j) + $1]) } * scale
                }
                let maximum = scores.max()!
                let weights = scores.map { exp($0 - maximum) }, total = weights.reduce(0, +)
                for (i, j) in visible.enumerated() {
                    for d in 0..<D { out[(n * H + h) * D + d] += weights[i] / total * Double(values[s.cacheOffset(group: g, position: j) + d]) }
                }
            }
        }
        return out
    }

    func testCachedAttentionMatchesNaive() {
        var generator = SeededGenerator(seed: 81)
        func floats(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -2...2, using: &generator) } }
        for threads in [1, 2] {
            Parallelism.setThreadCount(threads)
            for (heads, keyValueHeads) in [(3, 3), (4, 1), (6, 2)] {
                let shape = CachedAttentionShape(heads: heads, keyValueHeads: keyValueHeads, headDim: 4, capacity: 12)
                let keys = floats(keyValueHeads * 12 * 4), values = floats(keyValueHeads * 12 * 4)
                // Queries sit in fused [q | k | v] rows, as the session passes them.
                let queryStride = (heads + 2 * keyValueHeads) * 4
                let allVisible = [Bool](repeating: true, count: 12)
                let oneHidden = allVisible.enumerated().map { $0.offset != 2 }
                for keyMask in [allVisible, oneHidden] {
                    for (start, count) in [(0, 5), (5, 3), (9, 1), (11, 1), (0, 12)] {
                        let queries = floats(count * queryStride)
                        var out = [Float](repeating: .nan, count: count * heads * 4)
                        var scores = [Float](repeating: .nan, count: heads * count * (start + count))
                        cachedAttentionForward(&out, scores: &scores, queries: queries, queryStride: queryStride, keys: keys,
                                               values: values, keyMask: keyMask, start: start, count: count, shape: shape)
                        let expected = naiveCachedAttention(queries: queries, queryStride: queryStride, keys: keys, values: values,
                                                            keyMask: keyMask, start: start, count: count, shape: shape)
                        let worst = zip(out, expected).map { abs(Double($0) - $1) }.max()!
                        let label = "H=\(heads) G=\(keyValueHeads) start=\(start) count=\(count) masked=\(keyMask != allVisible)"
                        XCTAssertLessThanOrEqual(worst, 1e-5, label + ", \(threads) threads")
                    }
                }
            }
        }
    }

    /// Segments of a batched pass: each one's rows against its own slot, as if run alone.
    func testSegmentsAttendToTheirOwnSlots() {
        var generator = SeededGenerator(seed: 83)
        func floats(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -2...2, using: &generator) } }
        for threads in [1, 2] {
            Parallelism.setThreadCount(threads)
            let shape = CachedAttentionShape(heads: 6, keyValueHeads: 2, headDim: 4, capacity: 12, slots: 3)
            let slotSize = 2 * 12 * 4, keys = floats(3 * slotSize), values = floats(3 * slotSize)
            let queryStride = (6 + 2 * 2) * 4, keyMask = [Bool](repeating: true, count: 12)
            let segments = [CachedAttentionSegment(slot: 2, start: 3, row: 0, count: 4), CachedAttentionSegment(slot: 0, start: 0, row: 4, count: 1),
                            CachedAttentionSegment(slot: 1, start: 11, row: 5, count: 1)]
            let queries = floats(6 * queryStride)
            var out = [Float](repeating: .nan, count: 6 * 6 * 4)
            var scores = [Float](repeating: .nan, count: 6 * 6 * 12)
            segments.withUnsafeBufferPointer {
                cachedAttentionForward(&out, scores: &scores, queries: queries, queryStride: queryStride, keys: keys, values: values,
                                       keyMask: keyMask, segments: $0, shape: shape)
            }
            let alone = CachedAttentionShape(heads: 6, keyValueHeads: 2, headDim: 4, capacity: 12)
            for segment in segments {
                let slot = segment.slot * slotSize..<(segment.slot + 1) * slotSize
                let expected = naiveCachedAttention(
                    queries: Array(queries[segment.row * queryStride..<(segment.row + segment.count) * queryStride]), queryStride: queryStride,
                    keys: Array(keys[slot]), values: Array(values[slot]), keyMask: keyMask, start: segment.start, count: segment.count,
                    shape: alone)
                let rows = out[segment.row * 24..<(segment.row + segment.count) * 24]
                let worst = zip(rows, expected).map { abs(Double($0) - $1) }.max()!
                XCTAssertLessThanOrEqual(worst, 1e-5, "slot \(segment.slot), \(threads) threads")
            }
        }
    }

    func testMatrixVectorMatchesNaive() {
        var generator = SeededGenerator(seed: 82)
        for threads in [1, 2] {
            Parallelism.setThreadCount(threads)
            // 3000 outputs of 64 inputs are split across two threads; 7 × 5 is not.
            for (inputs, outputs) in [(5, 7), (64, 3000)] {
                let weight = (0..<inputs * outputs).map { _ in Float.random(in: -1...1, using: &generator) }
                let input = (0..<inputs).map { _ in Float.random(in: -1...1, using: &generator) }
                var out = [Float](repeating: .nan, count: outputs)
                matrixVectorForward(&out, input, weight, inputs: inputs, outputs: outputs)
                let worst = (0..<outputs).map { o in
                    abs(Double(out[o]) - (0..<inputs).reduce(0.0) { $0 + Double(weight[o * inputs + $1]) * Double(input[$1]) })
                }.max()!
                XCTAssertLessThanOrEqual(worst, 1e-5, "\(inputs) → \(outputs), \(threads) threads")
            }
        }
    }
}
