import Kernels

/// The scratch an inference session needs to run up to `rows` tokens at once, allocated
/// when the session is made, so appending tokens never allocates. Buffers are shared by
/// all layers: nothing is kept for a backward pass.
final class InferenceBuffers {
    let rows: Int
    let residual: UnsafeMutablePointer<Float>   // [rows, C]: the residual stream
    let norm: UnsafeMutablePointer<Float>       // [rows, C]: a normalised input
    let rstd: UnsafeMutablePointer<Float>       // [rows]
    let qkv: UnsafeMutablePointer<Float>        // [rows, (H + 2G)·D], q and k rotated
    let scores: UnsafeMutablePointer<Float>     // [H, rows, capacity]: attention probabilities
    let attention: UnsafeMutablePointer<Float>  // [rows, H·D]
    let branch: UnsafeMutablePointer<Float>     // [rows, C]: a branch's output before the residual add
    let gateUp: UnsafeMutablePointer<Float>     // [rows, 2I]
    let mlpHidden: UnsafeMutablePointer<Float>  // [rows, I]
    let logits: UnsafeMutablePointer<Float>     // [rows, V]: those of the rows in `logitRows`
    let tokens: UnsafeMutablePointer<Int32>     // [rows]
    let positions: UnsafeMutablePointer<Int32>  // [rows]
    /// [rows]: which sequence (slot) and positions each run of rows belongs to.
    let segments: UnsafeMutablePointer<CachedAttentionSegment>
    /// [rows]: the rows whose logits the pass computes.
    let logitRows: UnsafeMutablePointer<Int>
    /// [capacity], all true: the cache holds no padding, every past key is visible.
    let keyMask: UnsafeMutablePointer<Bool>

    private let arena: UnsafeMutablePointer<Float>

    init(config c: LlamaConfig, rows: Int, capacity: Int) {
        let C = c.hiddenSize, I = c.intermediateSize, H = c.headCount, D = c.headDim
        let qkvWidth = (H + 2 * c.keyValueHeadCount) * D
        let total = rows * (3 * C + 1 + qkvWidth + H * capacity + H * D + 3 * I) + rows * c.vocabSize
        arena = .allocate(capacity: total)
        arena.initialize(repeating: 0, count: total)
        var cursor = arena
        func take(_ count: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += count }
            return cursor
        }
        residual = take(rows * C)
        norm = take(rows * C)
        rstd = take(rows)
        qkv = take(rows * qkvWidth)
        scores = take(H * rows * capacity)
        attention = take(rows * H * D)
        branch = take(rows * C)
        gateUp = take(rows * 2 * I)
        mlpHidden = take(rows * I)
        logits = take(rows * c.vocabSize)
        precondition(cursor == arena + total, "inference buffer layout and its size disagree")
        tokens = .allocate(capacity: 2 * rows)
        tokens.initialize(repeating: 0, count: 2 * rows)
        positions = tokens + rows
        segments = .allocate(capacity: rows)
        segments.initialize(repeating: CachedAttentionSegment(slot: 0, start: 0, row: 0, count: 0), count: rows)
        logitRows = .allocate(capacity: rows)
        logitRows.initialize(repeating: 0, count: rows)
        keyMask = .allocate(capacity: capacity)
        keyMask.initialize(repeating: true, count: capacity)
        self.rows = rows
    }

    deinit {
        arena.deallocate()
        tokens.deallocate()
        segments.deallocate()
        logitRows.deallocate()
        keyMask.deallocate()
    }
}
