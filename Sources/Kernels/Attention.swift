import CBLAS
import Foundation

// Causal grouped-query attention on a fused projection row [q heads | k heads | v heads]:
//   B batch, T time, H query heads, G key/value heads (H a multiple of G), D head size.
//   qkv[B·T, (H + 2G)·D] (q and k already rotated), out[B·T, H·D], probabilities[B, H, T, T].
// Query head h reads key/value head h / (H / G). Key j is visible to query i when j ≤ i,
// keyMask[b, j], and, with a sliding window of W keys (Mistral), j > i − W.
// Each (b, h) is a pair of strided sgemms over views of qkv, no copies.

public struct AttentionShape: Sendable {
    public let batch: Int, time: Int, heads: Int, keyValueHeads: Int, headDim: Int
    /// Keys a query sees at most, itself included; nil: every earlier key.
    public let window: Int?

    public init(batch: Int, time: Int, heads: Int, keyValueHeads: Int, headDim: Int, window: Int? = nil) {
        precondition(heads % keyValueHeads == 0, "query heads must be a multiple of key/value heads")
        precondition(window.map { $0 > 0 } ?? true, "a sliding window holds at least one key")
        self.batch = batch
        self.time = time
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.window = window
    }

    var qkvStride: Int { (heads + 2 * keyValueHeads) * headDim }
    var outStride: Int { heads * headDim }
    var groupSize: Int { heads / keyValueHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }

    func queryOffset(batch b: Int, head h: Int) -> Int { b * time * qkvStride + h * headDim }
    func keyOffset(batch b: Int, group g: Int) -> Int { b * time * qkvStride + (heads + g) * headDim }
    func valueOffset(batch b: Int, group g: Int) -> Int { b * time * qkvStride + (heads + keyValueHeads + g) * headDim }
    func outOffset(batch b: Int, head h: Int) -> Int { b * time * outStride + h * headDim }
    func probabilityOffset(batch b: Int, head h: Int) -> Int { (b * heads + h) * time * time }
}

public func attentionForward(
    _ out: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
    qkv: UnsafePointer<Float>, keyMask: UnsafePointer<Bool>, shape s: AttentionShape
) {
    let T = Int32(s.time), D = Int32(s.headDim), ld = Int32(s.qkvStride)
    Parallelism.forEach(s.batch * s.heads) { task in
        let b = task / s.heads, h = task % s.heads, g = h / s.groupSize
        let scores = probabilities + s.probabilityOffset(batch: b, head: h)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D,
            s.scale, qkv + s.queryOffset(batch: b, head: h), ld, qkv + s.keyOffset(batch: b, group: g), ld,
            0, scores, T)
        let mask = keyMask + b * s.time
        for i in 0..<s.time {
            maskedSoftmaxForward(scores + i * s.time, from: firstVisibleKey(query: i, window: s.window),
                                 length: i + 1, width: s.time, allowed: mask)
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T,
            1, scores, T, qkv + s.valueOffset(batch: b, group: g), ld,
            0, out + s.outOffset(batch: b, head: h), Int32(s.outStride))
    }
}

/// The first key a query at `position` sees: transformers' sliding-window mask keeps key j
/// when j > position − window (`sliding_window_overlay`), so the query sees `window` keys.
@inline(__always)
func firstVisibleKey(query position: Int, window: Int?) -> Int {
    window.map { max(0, position - $0 + 1) } ?? 0
}

/// Writes dQKV (every element) from dOut. Keys outside the window have probability 0, so
/// the softmax backward gives them no gradient: the mask needs no other care here. `scratch` holds B·H·T·T floats for dScores.
/// Work is split by (batch, key/value group) so the heads that share dK and dV
/// accumulate into them on one thread.
public func attentionBackward(
    dQKV: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probabilities: UnsafePointer<Float>,
    shape s: AttentionShape
) {
    let T = Int32(s.time), D = Int32(s.headDim), ld = Int32(s.qkvStride), ldOut = Int32(s.outStride)
    Parallelism.forEach(s.batch * s.keyValueHeads) { task in
        let b = task / s.keyValueHeads, g = task % s.keyValueHeads
        let key = qkv + s.keyOffset(batch: b, group: g), value = qkv + s.valueOffset(batch: b, group: g)
        let dKey = dQKV + s.keyOffset(batch: b, group: g), dValue = dQKV + s.valueOffset(batch: b, group: g)
        for h in g * s.groupSize..<(g + 1) * s.groupSize {
            let p = probabilities + s.probabilityOffset(batch: b, head: h)
            let dScores = scratch + s.probabilityOffset(batch: b, head: h)
            let dO = dOut + s.outOffset(batch: b, head: h)
            let firstInGroup: Float = h == g * s.groupSize ? 0 : 1
            // dV += Pᵀ·dO and dP = dO·Vᵀ
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T, 1, p, T, dO, ldOut, firstInGroup, dValue, ld)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D, 1, dO, ldOut, value, ld, 0, dScores, T)
            for i in 0..<s.time { softmaxBackward(dScores + i * s.time, probabilities: p + i * s.time, width: s.time) }
            // dQ = scale·dS·K and dK += scale·dSᵀ·Q
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T,
                s.scale, dScores, T, key, ld, 0, dQKV + s.queryOffset(batch: b, head: h), ld)
            cblas_sgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T,
                s.scale, dScores, T, qkv + s.queryOffset(batch: b, head: h), ld, firstInGroup, dKey, ld)
        }
    }
}
