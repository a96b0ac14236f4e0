import Kernels

/// Runs a `LlamaModel` for generation. The keys and values of every token appended so far
/// stay in a KV cache, so a new token costs one pass over the weights instead of a pass
/// over the whole sequence. The prompt runs as one prefill pass (matrix–matrix products,
/// in chunks of `prefillChunk` tokens); each later token runs alone. Every buffer is
/// allocated here, once: appending allocates nothing.
///
/// A session holds `slots` sequences, each in its own slot of the cache with `capacity`
/// positions. One pass runs rows of several sequences together, each at its own positions
/// and attending only to its own slot: a decode step of every active sequence is one
/// matrix–matrix product per weight (`generate(prompts:options:)`). `append` and `count`
/// are about slot 0, the single sequence of a one-slot session.
///
/// The session reads the model's weights on every call; after the weights change, the
/// cache describes the old model, so `reset()` before running again.
public final class InferenceSession {
    public let model: LlamaModel
    /// Prefill tokens per pass: the attention scores need heads × rows × capacity floats.
    public static let prefillChunk = 64
    /// Bytes `sized(for:maxNewTokens:model:)` lets a session's slots take (1 GiB).
    public static let defaultMemoryBudget = 1 << 30
    private let cache: KVCache
    private let buffers: InferenceBuffers
    private let rotary: RotaryTable
    /// What the next pass runs: rows, segments and logit rows staged so far.
    private var staged = (rows: 0, segments: 0, logitRows: 0)

    /// A session of `slots` sequences that each hold up to `capacity` positions (default and
    /// maximum: the model's max_position_embeddings). A pass runs up to
    /// min(prefillChunk, capacity) + slots − 1 rows: a decode row of every other slot and a
    /// prefill chunk.
    public convenience init(model: LlamaModel, capacity: Int? = nil, slots: Int = 1) throws {
        let c = model.config, capacity = capacity ?? c.maxPositionEmbeddings
        guard capacity >= 1, capacity <= c.maxPositionEmbeddings else {
            throw GenerationError.invalidCapacity(capacity, maxPositionEmbeddings: c.maxPositionEmbeddings)
        }
        try self.init(model: model, positions: capacity, slots: slots)
    }

    /// A session of any capacity ≥ 1, also past max_position_embeddings: scoring runs a long
    /// sequence as a forward pass over it would (the rotary table stretched as for a forward
    /// pass of that length).
    init(model: LlamaModel, positions capacity: Int, slots: Int) throws {
        let c = model.config
        precondition(capacity >= 1, "a session holds at least one position")
        guard slots >= 1 else { throw GenerationError.invalidOption("slots", reason: "must be at least 1, not \(slots)") }
        self.model = model
        cache = KVCache(config: c, capacity: capacity, slots: slots)
        buffers = InferenceBuffers(config: c, rows: min(Self.prefillChunk, capacity) + slots - 1, capacity: capacity)
        // Up to max_position_embeddings, dynamic NTK scaling does not stretch.
        rotary = c.rotaryTable(positions: capacity)
    }

    /// A session for generating up to `maxNewTokens` tokens after each of `prompts`: each slot
    /// holds the longest prompt and the new tokens (at most max_position_embeddings), and
    /// there is one slot per prompt while the slots' memory (`bytesPerSlot`) stays within
    /// `memoryBudget`; with fewer slots than prompts, `generate(prompts:options:)` runs
    /// the prompts in turn, a freed slot taking the next prompt. At least one slot.
    public static func sized(for prompts: [[Int]], maxNewTokens: Int, model: LlamaModel,
                             memoryBudget: Int = defaultMemoryBudget) throws -> InferenceSession {
        let longest = prompts.map(\.count).max() ?? 0
        let capacity = max(1, min(model.config.maxPositionEmbeddings, longest + max(0, maxNewTokens)))
        return try InferenceSession(model: model, capacity: capacity,
                                    slots: slotCount(prompts.count, capacity: capacity, config: model.config, memoryBudget: memoryBudget))
    }

    /// One slot per sequence while they fit in `memoryBudget` bytes, and at least one.
    static func slotCount(_ sequences: Int, capacity: Int, config: LlamaConfig, memoryBudget: Int) -> Int {
        max(1, min(sequences, memoryBudget / bytesPerSlot(config: config, capacity: capacity)))
    }

    /// The memory one slot of `capacity` positions adds to a session: its keys and values in
    /// every layer, and the scratch of the pass row it adds (a row of scores per head, a row
    /// of logits).
    public static func bytesPerSlot(config c: LlamaConfig, capacity: Int) -> Int {
        let floats = c.layerCount * KVCache.floatsPerSlotAndLayer(config: c, capacity: capacity) + c.headCount * capacity + c.vocabSize
        return floats * MemoryLayout<Float>.stride
    }

    /// Positions each slot can hold.
    public var capacity: Int { cache.capacity }
    /// Sequences the session holds at once.
    public var slots: Int { cache.slots }
    /// Tokens appended to slot 0 since the last reset (they sit at positions 0..<count).
    public var count: Int { cache.counts[0] }
    /// Tokens in `slot` since it was last emptied.
    public func count(slot: Int) -> Int { cache.counts[slot] }
    /// Rows one pass runs at most.
    var rowsPerPass: Int { buffers.rows }

    /// Forgets every token of every slot: the next append starts at position 0.
    public func reset() {
        for slot in 0..<slots { empty(slot: slot) }
    }

    /// Forgets the tokens of `slot`.
    func empty(slot: Int) { keep(0, inSlot: slot) }

    /// Keeps the first `count` positions of `slot`, after copying them from slot `source` when
    /// one is given (a prefix that another sequence shares).
    func keep(_ count: Int, inSlot slot: Int, copyingFrom source: Int? = nil) {
        if let source, source != slot { cache.copyPrefix(count, from: source, to: slot) }
        cache.counts[slot] = count
    }

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
        try validate(tokens, fittingAfter: count)
        var logits = UnsafeBufferPointer<Float>(start: nil, count: 0)
        for chunkStart in stride(from: 0, to: tokens.count, by: buffers.rows) {
            let chunk = UnsafeBufferPointer(rebasing: tokens[chunkStart..<min(chunkStart + buffers.rows, tokens.count)])
            stage(chunk, slot: 0, logits: chunkStart + chunk.count == tokens.count ? chunk.count - 1..<chunk.count : 0..<0)
            logits = runStaged()
        }
        return logits
    }

    /// Throws unless `tokens` is a non-empty run of vocabulary ids that fits after `held`
    /// positions.
    func validate(_ tokens: UnsafeBufferPointer<Int>, fittingAfter held: Int) throws {
        guard !tokens.isEmpty else { throw GenerationError.emptyInput }
        guard held + tokens.count <= capacity else {
            throw GenerationError.contextFull(held: held, adding: tokens.count, capacity: capacity)
        }
        let vocabularySize = model.config.vocabSize
        if let bad = tokens.first(where: { !(0..<vocabularySize).contains($0) }) {
            throw GenerationError.tokenOutOfRange(token: bad, vocabularySize: vocabularySize)
        }
    }

    // MARK: passes

    /// Rows the next pass can still take.
    var freeRows: Int { buffers.rows - staged.rows }

    /// Adds `tokens` (already validated, at most `freeRows`) to the next pass, at `slot`'s next
    /// positions, asking for the logits after each of `tokens[logits]` (a range of indices in
    /// `tokens`; the logits come out in the order staged). A slot is staged at most once per
    /// pass.
    func stage(_ tokens: UnsafeBufferPointer<Int>, slot: Int, logits: Range<Int>) {
        let b = buffers, row = staged.rows
        precondition(!tokens.isEmpty && tokens.count <= freeRows, "a pass holds \(b.rows) rows")
        precondition(cache.counts[slot] + tokens.count <= capacity, "slot \(slot) is full")
        for (n, token) in tokens.enumerated() { b.tokens[row + n] = Int32(token) }
        b.segments[staged.segments] = CachedAttentionSegment(slot: slot, start: cache.counts[slot], row: row, count: tokens.count)
        staged.segments += 1
        staged.rows += tokens.count
        for n in logits {
            b.logitRows[staged.logitRows] = row + n
            staged.logitRows += 1
        }
    }

    /// Stages the next pass from `inputs` (one per slot, nil for an empty slot): the inputs
    /// with one token left (decode steps) first, then the others in slot order, each as far
    /// as the pass has rows. Says what it took of each input; `runStaged()` runs it.
    func stagePass(_ inputs: inout [SlotInput?]) -> [StagedInput] {
        var taken: [StagedInput] = []
        var logitRow = 0
        for decodeSteps in [true, false] {
            for slot in inputs.indices where freeRows > 0 {
                guard let input = inputs[slot], !input.isFed, (input.tokens.count - input.fed == 1) == decodeSteps else { continue }
                let fed = input.fed..<min(input.tokens.count, input.fed + freeRows)
                let logits = input.logits.clamped(to: fed)
                input.tokens[fed].withUnsafeBufferPointer {
                    stage($0, slot: slot, logits: logits.lowerBound - fed.lowerBound..<logits.upperBound - fed.lowerBound)
                }
                inputs[slot]!.fed = fed.upperBound
                taken.append(StagedInput(slot: slot, fed: fed, logits: logits, firstLogitRow: logitRow))
                logitRow += logits.count
            }
        }
        return taken
    }

    /// Runs the staged rows and returns the logits asked for, [k, V] in the order staged.
    /// The buffer belongs to the session and is overwritten by the next pass.
    func runStaged() -> UnsafeBufferPointer<Float> {
        let segments = UnsafeBufferPointer(start: buffers.segments, count: staged.segments), logitRows = staged.logitRows
        run(rows: staged.rows, segments: segments, logitRows: logitRows)
        for segment in segments { cache.counts[segment.slot] = segment.start + segment.count }
        staged = (0, 0, 0)
        return UnsafeBufferPointer(start: buffers.logits, count: logitRows * model.config.vocabSize)
    }

    /// The decoder over buffers.tokens[0..<rows], each segment's rows at its slot's positions,
    /// keys and values into the cache; the logits of the first `logitRows` of buffers.logitRows.
    private func run(rows n: Int, segments: UnsafeBufferPointer<CachedAttentionSegment>, logitRows k: Int) {
        let c = model.config, layout = model.layout, p = UnsafePointer(model.parameters.baseAddress!), b = buffers
        let C = c.hiddenSize, I = c.intermediateSize, H = c.headCount, G = c.keyValueHeadCount, D = c.headDim
        let qkvWidth = (H + 2 * G) * D, eps = Float(c.rmsNormEpsilon)
        for segment in segments {
            for i in 0..<segment.count { b.positions[segment.row + i] = Int32(segment.start + i) }
        }

        embeddingForward(b.residual, tokens: b.tokens, table: p + layout.embedding, count: n, channels: C)
        for (l, w) in layout.layers.enumerated() {
            rmsNormForward(b.norm, rstd: b.rstd, b.residual, weight: p + w.inputNorm, rows: n, channels: C, epsilon: eps)
            linear(b.qkv, b.norm, p + w.qkv, rows: n, inputs: C, outputs: qkvWidth)
            if let bias = w.qkvBias { biasForward(b.qkv, bias: p + bias, rows: n, columns: qkvWidth) }
            rotaryForward(b.qkv, positions: b.positions, table: rotary, count: n, rowStride: qkvWidth, heads: H)
            rotaryForward(b.qkv + H * D, positions: b.positions, table: rotary, count: n, rowStride: qkvWidth, heads: G)
            cache.store(layer: l, qkv: b.qkv, rowStride: qkvWidth, segments: segments)
            cachedAttentionForward(b.attention, scores: b.scores, queries: b.qkv, queryStride: qkvWidth,
                                   keys: cache.keys(layer: l), values: cache.values(layer: l), keyMask: b.keyMask,
                                   segments: segments, shape: cache.shape)
            linear(b.branch, b.attention, p + w.output, rows: n, inputs: H * D, outputs: C)
            if let bias = w.outputBias { biasForward(b.branch, bias: p + bias, rows: n, columns: C) }
            residualForward(b.residual, b.residual, b.branch, count: n * C)

            rmsNormForward(b.norm, rstd: b.rstd, b.residual, weight: p + w.postAttentionNorm, rows: n, channels: C, epsilon: eps)
            linear(b.gateUp, b.norm, p + w.gateUp, rows: n, inputs: C, outputs: 2 * I)
            swiGLUForward(b.mlpHidden, gateUp: b.gateUp, rows: n, hidden: I)
            linear(b.branch, b.mlpHidden, p + w.down, rows: n, inputs: I, outputs: C)
            residualForward(b.residual, b.residual, b.branch, count: n * C)
        }
        guard k > 0 else { return }
        for i in 0..<k {
            rmsNormForward(b.norm + i * C, rstd: b.rstd + i, b.residual + b.logitRows[i] * C, weight: p + layout.finalNorm,
                           rows: 1, channels: C, epsilon: eps)
        }
        linear(b.logits, b.norm, p + layout.lmHead, rows: k, inputs: C, outputs: c.vocabSize)
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

/// Tokens waiting to enter one slot's cache (a prompt, a chosen token, a sequence to score),
/// and the indices of those whose logits are wanted.
struct SlotInput {
    let tokens: [Int]
    let logits: Range<Int>
    /// How many of `tokens` are in the cache.
    var fed = 0

    var isFed: Bool { fed == tokens.count }
}

/// What one pass took of a slot's input: `tokens[fed]`, with the logits after `tokens[logits]`
/// in rows firstLogitRow..<firstLogitRow + logits.count of the pass's logits.
struct StagedInput {
    let slot: Int
    let fed: Range<Int>
    let logits: Range<Int>
    let firstLogitRow: Int
}
