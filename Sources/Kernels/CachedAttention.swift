import CBLAS

// Inference-time causal grouped-query attention: new queries against a key/value cache that
// already holds their own keys and values.
//   H query heads, G key/value heads (H a multiple of G), D head size, P positions per slot,
//   S slots (one sequence each).
//   Cache: keys[S, G, P, D] and values[S, G, P, D], head-major so one head's keys are one
//   contiguous [positions, D] matrix. A segment is one sequence's run of consecutive query
//   rows: row n of it (row + n of `queries`, `queryStride` floats apart, head h at h·D,
//   already rotated) sits at position start + n of its slot and sees that slot's keys
//   0...start + n whose keyMask is true, only the last W of them under a sliding window of
//   W keys. out[rows, H·D], rows in the queries' order.
// Same math as `attentionForward`; there is no backward (generation only).

public struct CachedAttentionShape: Sendable {
    public let heads: Int, keyValueHeads: Int, headDim: Int, capacity: Int, slots: Int
    /// Keys a query sees at most, itself included; nil: every earlier key.
    public let window: Int?

    public init(heads: Int, keyValueHeads: Int, headDim: Int, capacity: Int, slots: Int = 1, window: Int? = nil) {
        precondition(heads % keyValueHeads == 0, "query heads must be a multiple of key/value heads")
        precondition(window.map { $0 > 0 } ?? true, "a sliding window holds at least one key")
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.capacity = capacity
        self.slots = slots
        self.window = window
    }

    /// Offset of slot s's key/value head g's position p in `keys` or `values`.
    public func cacheOffset(slot s: Int = 0, group g: Int, position p: Int) -> Int {
        ((s * keyValueHeads + g) * capacity + p) * headDim
    }
}

/// Rows row..<row + count of a batched pass: one sequence's queries at positions
/// start..<start + count of cache slot `slot`.
public struct CachedAttentionSegment: Sendable, Equatable {
    public var slot: Int, start: Int, row: Int, count: Int

    public init(slot: Int, start: Int, row: Int, count: Int) {
        self.slot = slot
        self.start = start
        self.row = row
        self.count = count
    }
}

/// One sequence in slot 0: writes out[count, H·D]; `scores` is scratch of
/// H · count · (start + count) floats.
public func cachedAttentionForward(
    _ out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
    queries: UnsafePointer<Float>, queryStride: Int,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyMask: UnsafePointer<Bool>,
    start: Int, count: Int, shape s: CachedAttentionShape
) {
    withUnsafePointer(to: CachedAttentionSegment(slot: 0, start: start, row: 0, count: count)) { segment in
        cachedAttentionForward(out, scores: scores, queries: queries, queryStride: queryStride, keys: keys, values: values,
                               keyMask: keyMask, segments: UnsafeBufferPointer(start: segment, count: 1), shape: s)
    }
}

/// Every segment's queries against its own slot, all segments and heads in parallel. Segments
/// hold disjoint rows; a segment at rows row..<row + count uses the scratch floats
/// H · row · P ..< H · row · P + H · count · (start + count) of `scores`, so H · rows · P
/// floats serve any pass of `rows` rows.
public func cachedAttentionForward(
    _ out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
    queries: UnsafePointer<Float>, queryStride: Int,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyMask: UnsafePointer<Bool>,
    segments: UnsafeBufferPointer<CachedAttentionSegment>, shape s: CachedAttentionShape
) {
    let D = s.headDim, groupSize = s.heads / s.keyValueHeads
    let scale = 1 / Float(D).squareRoot()
    for segment in segments {
        precondition(segment.slot < s.slots && segment.start + segment.count <= s.capacity, "queries reach past the cache")
    }
    Parallelism.forEach(segments.count * s.heads) { index in
        let segment = segments[index / s.heads], h = index % s.heads, g = h / groupSize
        let count = segment.count, length = segment.start + count
        let headScores = scores + (s.heads * segment.row * s.capacity + h * count * length)
        let headKeys = keys + s.cacheOffset(slot: segment.slot, group: g, position: 0)
        let headValues = values + s.cacheOffset(slot: segment.slot, group: g, position: 0)
        let query = queries + segment.row * queryStride + h * D, headOut = out + segment.row * s.heads * D + h * D
        if count == 1 {
            // One query (a decode step): two matrix–vector products; sgemm with one row
            // would first pack all the keys and values it reads once.
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(length), Int32(D), scale, headKeys, Int32(D), query, 1, 0, headScores, 1)
            maskedSoftmaxForward(headScores, from: firstVisibleKey(query: segment.start, window: s.window),
                                 length: length, width: length, allowed: keyMask)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(length), Int32(D), 1, headValues, Int32(D), headScores, 1, 0, headOut, 1)
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(length), Int32(D),
            scale, query, Int32(queryStride), headKeys, Int32(D),
            0, headScores, Int32(length))
        for n in 0..<count {
            maskedSoftmaxForward(headScores + n * length, from: firstVisibleKey(query: segment.start + n, window: s.window),
                                 length: segment.start + n + 1, width: length, allowed: keyMask)
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(D), Int32(length),
            1, headScores, Int32(length), headValues, Int32(D),
            0, headOut, Int32(s.heads * D))
    }
}
