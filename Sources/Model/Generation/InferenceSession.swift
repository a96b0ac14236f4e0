import Kernels

/// Runs a `LlamaModel` for generation. The keys and values of every token appended so far
/// stay in a KV cache, so a new token costs one pass over the weights instead of a pass
/// over the whole sequence. The prompt runs as one prefill pass (matrix–matrix products,
/// in chunks of `prefillChunk` tokens); each later token runs alone. Every buffer is
/// allocated here, once: appending allocates nothing.
///
/// The session reads the model's weights on every call; after the weights change, the
/// cache describes the old model, so `reset()` before running again.
public final class InferenceSession {
    public let model: LlamaModel
    /// Tokens per prefill pass: the attention scores need heads × prefillChunk × capacity floats.
    public static let prefillChunk = 64
    private let cache: KVCache
    private let buffers: InferenceBuffers
    private let rotary: RotaryTable

    /// A session that holds up to `capacity` positions (default and maximum: the model's
    /// max_position_embeddings).
    public init(model: LlamaModel, capacity: Int? = nil) throws {
        let c = model.config, capacity = capacity ?? c.maxPositionEmbeddings
        guard capacity >= 1, capacity <= c.maxPositionEmbeddings else {
            throw GenerationError.invalidCapacity(capacity, maxPositionEmbeddings: c.maxPositionEmbeddings)
        }
        self.model = model
        cache = KVCache(config: c, capacity: capacity)
        buffers = InferenceBuffers(config: c, rows: min(Self.prefillChunk, capacity), capacity: capacity)
        // Capacity never exceeds max_position_embeddings, so dynamic NTK scaling never stretches.
        rotary = c.rotaryTable(positions: capacity)
    }

    /// Positions the cache can hold.
    public var capacity: Int { cache.capacity }
    /// Tokens appended since the last reset (they sit at positions 0..<count).
    public var count: Int { cache.count }

    /// Forgets every token: the next append starts at position 0.
    public func reset() { cache.count = 0 }

    /// Runs `tokens` at the next positions (a prompt: one prefill pass) and returns the
    /// logits [V] after the last one. The buffer belongs to the session and is overwritten
    /// by the next append.
    @discardableResult
    public func append(tokens: [Int]) throws -> UnsafeBufferPointer<Float> {
        try tokens.withUnsafeBufferPointer { try append($0) }
    }

    /// Runs one token at the next position (a decode step) and returns the logits after it.
    @discardableResult
    public func append(token: Int) throws -> UnsafeBufferPointer<Float> {
        try withUnsafePointer(to: token) { try append(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    private func append(_ tokens: UnsafeBufferPointer<Int>) throws -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { throw GenerationError.emptyInput }
        guard count + tokens.count <= capacity else {
            throw GenerationError.contextFull(held: count, adding: tokens.count, capacity: capacity)
        }
        let vocabularySize = model.config.vocabSize
        if let bad = tokens.first(where: { !(0..<vocabularySize).contains($0) }) {
            throw GenerationError.tokenOutOfRange(token: bad, vocabularySize: vocabularySize)
        }
        for chunkStart in stride(from: 0, to: tokens.count, by: buffers.rows) {
            let rows = min(buffers.rows, tokens.count - chunkStart)
            for n in 0..<rows { buffers.tokens[n] = Int32(tokens[chunkStart + n]) }
            run(rows: rows, computingLogits: chunkStart + rows == tokens.count)
        }
        return UnsafeBufferPointer(start: buffers.logits, count: vocabularySize)
    }

    /// The decoder over buffers.tokens[0..<rows] at positions count..<count + rows, keys and
    /// values into the cache; the logits of the last row when asked.
    private func run(rows n: Int, computingLogits: Bool) {
        let c = model.config, layout = model.layout, p = UnsafePointer(model.parameters.baseAddress!), b = buffers
        let C = c.hiddenSize, I = c.intermediateSize, H = c.headCount, G = c.keyValueHeadCount, D = c.headDim
        let qkvWidth = (H + 2 * G) * D, eps = Float(c.rmsNormEpsilon), start = cache.count
        for i in 0..<n { b.positions[i] = Int32(start + i) }

        embeddingForward(b.residual, tokens: b.tokens, table: p + layout.embedding, count: n, channels: C)
        for (l, w) in layout.layers.enumerated() {
            rmsNormForward(b.norm, rstd: b.rstd, b.residual, weight: p + w.inputNorm, rows: n, channels: C, epsilon: eps)
            linear(b.qkv, b.norm, p + w.qkv, rows: n, inputs: C, outputs: qkvWidth)
            if let bias = w.qkvBias { biasForward(b.qkv, bias: p + bias, rows: n, columns: qkvWidth) }
            rotaryForward(b.qkv, positions: b.positions, table: rotary, count: n, rowStride: qkvWidth, heads: H)
            rotaryForward(b.qkv + H * D, positions: b.positions, table: rotary, count: n, rowStride: qkvWidth, heads: G)
            cache.store(layer: l, qkv: b.qkv, rowStride: qkvWidth, rows: n, start: start)
            cachedAttentionForward(b.attention, scores: b.scores, queries: b.qkv, queryStride: qkvWidth,
                                   keys: cache.keys(layer: l), values: cache.values(layer: l), keyMask: b.keyMask,
                                   start: start, count: n, shape: cache.shape)
            linear(b.branch, b.attention, p + w.output, rows: n, inputs: H * D, outputs: C)
            if let bias = w.outputBias { biasForward(b.branch, bias: p + bias, rows: n, columns: C) }
            residualForward(b.residual, b.residual, b.branch, count: n * C)

            rmsNormForward(b.norm, rstd: b.rstd, b.residual, weight: p + w.postAttentionNorm, rows: n, channels: C, epsilon: eps)
            linear(b.gateUp, b.norm, p + w.gateUp, rows: n, inputs: C, outputs: 2 * I)
            swiGLUForward(b.mlpHidden, gateUp: b.gateUp, rows: n, hidden: I)
            linear(b.branch, b.mlpHidden, p + w.down, rows: n, inputs: I, outputs: C)
            residualForward(b.residual, b.residual, b.branch, count: n * C)
        }
        cache.count += n
        guard computingLogits else { return }
        rmsNormForward(b.norm, rstd: b.rstd, b.residual + (n - 1) * C, weight: p + layout.finalNorm,
                       rows: 1, channels: C, epsilon: eps)
        linear(b.logits, b.norm, p + layout.lmHead, rows: 1, inputs: C, outputs: c.vocabSize)
    }

    /// A linear layer over `rows` rows: sgemv for the single token of a decode step.
    private func linear(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                        rows: Int, inputs: Int, outputs: Int) {
        if rows == 1 {
            matrixVectorForward(out, input, weight, inputs: inputs, outputs: outputs)
        } else {
            matmulForward(out, input, weight, rows: rows, inputs: inputs, outputs: outputs)
        }
    }
}
