import CBLAS

// Inference-time causal grouped-query attention: `count` new queries against a key/value
// cache that already holds their own keys and values.
//   H query heads, G key/value heads (H a multiple of G), D head size, P cache capacity.
//   Cache: keys[G, P, D] and values[G, P, D], head-major so one head's keys are one
//   contiguous [positions, D] matrix. Query n (row n of `queries`, `queryStride` floats
//   apart, head h at h·D, already rotated) sits at position start + n and sees keys
//   0...start + n whose keyMask is true, only the last W of them under a sliding window
//   of W keys. out[count, H·D].
// Same math as `attentionForward`; there is no backward (generation only).

public struct CachedAttentionShape: Sendable {
    public let heads: Int, keyValueHeads: Int, headDim: Int, capacity: Int
    /// Keys a query sees at most, itself included; nil: every earlier key.
    public let window: Int?

    public init(heads: Int, keyValueHeads: Int, headDim: Int, capacity: Int, window: Int? = nil) {
        precondition(heads % keyValueHeads == 0, "query heads must be a multiple of key/value heads")
        precondition(window.map { $0 > 0 } ?? true, "a sliding window holds at least one key")
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.capacity = capacity
        self.window = window
    }

    /// Offset of key/value head g's position p in `keys` or `values`.
    public func cacheOffset(group g: Int, position p: Int) -> Int { (g * capacity + p) * headDim }
}

/// Writes out[count, H·D]; `scores` is scratch of H · count · (start + count) floats.
public func cachedAttentionForward(
    _ out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
    queries: UnsafePointer<Float>, queryStride: Int,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyMask: UnsafePointer<Bool>,
    start: Int, count: Int, shape s: CachedAttentionShape
) {
    precondition(start + count <= s.capacity, "queries reach past the cache")
    let length = start + count, D = s.headDim, groupSize = s.heads / s.keyValueHeads
    let scale = 1 / Float(D).squareRoot()
    Parallelism.forEach(s.heads) { h in
        let g = h / groupSize
        let headScores = scores + h * count * length
        let headKeys = keys + s.cacheOffset(group: g, position: 0)
        let headValues = values + s.cacheOffset(group: g, position: 0)
        let query = queries + h * D, headOut = out + h * D
        if count == 1 {
            // One query (a decode step): two matrix–vector products; sgemm with one row
            // would first pack all the keys and values it reads once.
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(length), Int32(D), scale, headKeys, Int32(D), query, 1, 0, headScores, 1)
            maskedSoftmaxForward(headScores, from: firstVisibleKey(query: start, window: s.window),
                                 length: length, width: length, allowed: keyMask)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(length), Int32(D), 1, headValues, Int32(D), headScores, 1, 0, headOut, 1)
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(length), Int32(D),
            scale, query, Int32(queryStride), headKeys, Int32(D),
            0, headScores, Int32(length))
        for n in 0..<count {
            maskedSoftmaxForward(headScores + n * length, from: firstVisibleKey(query: start + n, window: s.window),
                                 length: start + n + 1, width: length, allowed: keyMask)
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(D), Int32(length),
            1, headScores, Int32(length), headValues, Int32(D),
            0, headOut, Int32(s.heads * D))
    }
}
