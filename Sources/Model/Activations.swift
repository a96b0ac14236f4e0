/// Every buffer a training step needs for one batch shape (B, T), carved from one
/// allocation when the shape is first seen (llm.c's activation layout), so the step
/// itself never allocates. Forward keeps what backward needs per layer; the backward
/// scratch buffers are shared by all layers. Layers below the lowest one backward reaches
/// (`keptFrom`) keep nothing but their residual stream: they share one set of buffers.
final class Activations {
    let batchSize: Int
    let length: Int
    let keptFrom: Int
    /// The bytes of the one allocation.
    let byteCount: Int
    // Kept by forward, per layer unless noted.
    let residual: [UnsafeMutablePointer<Float>]      // L + 1 × [N, C]: the residual stream entering each layer, and the last
    let residualMid: [UnsafeMutablePointer<Float>]   // [N, C]: after the attention branch
    let inputNorm: [UnsafeMutablePointer<Float>]     // [N, C]
    let inputRstd: [UnsafeMutablePointer<Float>]     // [N]
    let qkv: [UnsafeMutablePointer<Float>]           // [N, (H + 2G)·D], q and k rotated
    let probabilities: [UnsafeMutablePointer<Float>] // [B, H, T, T]
    let attention: [UnsafeMutablePointer<Float>]     // [N, H·D]
    let postNorm: [UnsafeMutablePointer<Float>]      // [N, C]
    let postRstd: [UnsafeMutablePointer<Float>]      // [N]
    let gateUp: [UnsafeMutablePointer<Float>]        // [N, 2I]
    let finalNorm: UnsafeMutablePointer<Float>       // [N, C]
    let finalRstd: UnsafeMutablePointer<Float>       // [N]
    let logits: UnsafeMutablePointer<Float>          // [N, V]; backward turns it into ∂L/∂logits in place
    let logSumExp: UnsafeMutablePointer<Float>       // [N]
    let losses: UnsafeMutablePointer<Float>          // [N]
    // Scratch, shared across layers.
    let branch: UnsafeMutablePointer<Float>          // [N, C]: a branch's output before the residual add
    let mlpHidden: UnsafeMutablePointer<Float>       // [N, I]: silu(gate)·up, recomputed in backward
    let dResidual: UnsafeMutablePointer<Float>       // [N, C]
    let dNorm: UnsafeMutablePointer<Float>           // [N, C]
    let dAttention: UnsafeMutablePointer<Float>      // [N, H·D]
    let dQKV: UnsafeMutablePointer<Float>            // [N, (H + 2G)·D]
    let dScores: UnsafeMutablePointer<Float>         // [B, H, T, T]
    let dMlpHidden: UnsafeMutablePointer<Float>      // [N, I]
    let dGateUp: UnsafeMutablePointer<Float>         // [N, 2I]

    private let arena: UnsafeMutablePointer<Float>

    init(config c: LlamaConfig, batchSize B: Int, length T: Int, keptFrom: Int = 0) {
        let N = B * T, C = c.hiddenSize, L = c.layerCount, I = c.intermediateSize
        let qkvWidth = (c.headCount + 2 * c.keyValueHeadCount) * c.headDim
        let attentionWidth = c.headCount * c.headDim
        let scores = B * c.headCount * T * T
        // Layer l's buffers: its own from `keptFrom` up, the one shared set (slot 0) below.
        let keptFrom = min(max(keptFrom, 0), L), sharedSlot = keptFrom > 0 ? 1 : 0
        let slots = L - keptFrom + sharedSlot
        let slotOfLayer = (0..<L).map { $0 < keptFrom ? 0 : $0 - keptFrom + sharedSlot }
        let perLayer = N * C + N * C + N + N * qkvWidth + scores + N * attentionWidth + N * C + N + 2 * N * I
        let shared = (L + 1) * N * C + N * C + N + N * c.vocabSize + 2 * N
            + N * C + N * I + 2 * N * C + N * attentionWidth + N * qkvWidth + scores + N * I + 2 * N * I
        let total = slots * perLayer + shared
        arena = .allocate(capacity: total)
        arena.initialize(repeating: 0, count: total)

        var cursor = arena
        func take(_ count: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += count }
            return cursor
        }
        func takePerLayer(_ count: Int) -> [UnsafeMutablePointer<Float>] {
            let blocks = (0..<slots).map { _ in take(count) }
            return slotOfLayer.map { blocks[$0] }
        }
        residual = (0...L).map { _ in take(N * C) }
        residualMid = takePerLayer(N * C)
        inputNorm = takePerLayer(N * C)
        inputRstd = takePerLayer(N)
        qkv = takePerLayer(N * qkvWidth)
        probabilities = takePerLayer(scores)
        attention = takePerLayer(N * attentionWidth)
        postNorm = takePerLayer(N * C)
        postRstd = takePerLayer(N)
        gateUp = takePerLayer(2 * N * I)
        finalNorm = take(N * C)
        finalRstd = take(N)
        logits = take(N * c.vocabSize)
        logSumExp = take(N)
        losses = take(N)
        branch = take(N * C)
        mlpHidden = take(N * I)
        dResidual = take(N * C)
        dNorm = take(N * C)
        dAttention = take(N * attentionWidth)
        dQKV = take(N * qkvWidth)
        dScores = take(scores)
        dMlpHidden = take(N * I)
        dGateUp = take(2 * N * I)
        precondition(cursor == arena + total, "activation layout and its size disagree")
        batchSize = B
        length = T
        self.keptFrom = keptFrom
        byteCount = total * MemoryLayout<Float>.size
    }

    deinit { arena.deallocate() }
}
