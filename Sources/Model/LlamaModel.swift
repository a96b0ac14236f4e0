import Kernels

/// The Llama decoder (`LlamaForCausalLM`) over one flat parameter buffer.
///
/// A training step reads top to bottom: `forward(batch)` keeps the activations,
/// a loss head turns `logits` into ∂L/∂logits in place, `backward()` accumulates every
/// parameter's gradient into `gradients`. Shapes: B batch, T time, N = B·T tokens,
/// C hidden, I intermediate, H query heads, G key/value heads, D head size, V vocabulary.
public final class LlamaModel {
    public let config: LlamaConfig
    public let layout: ParameterLayout
    /// All parameters, laid out by `layout`.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// Which parameters train: every one unless `restrictTraining(to:)` said otherwise.
    public private(set) var gradientMap: GradientMap
    /// The lowest decoder layer that trains (−1: the embedding does; `layerCount`: none does):
    /// backward stops there, nothing below it needs a gradient.
    public private(set) var lowestTrainedLayer = -1
    private var gradientStorage: UnsafeMutableBufferPointer<Float>?
    /// Set by `zeroGradients()`: the gradients read as zero, and the next backward writes
    /// them instead of adding to them, so no pass over memory is spent on zeroing.
    private var gradientsPendingZero = false
    private(set) var activations: Activations?
    /// Plans of recently seen batch shapes besides the current one, so that training on a few
    /// bucketed lengths reuses them instead of allocating every step; a shape beyond
    /// `keptPlanCount` evicts the least recently used plan.
    private var otherPlans: [Activations] = []
    /// How many plans are kept at most: a handful of length buckets, not every possible shape.
    public static let keptPlanCount = 4
    /// The most bytes the kept plans may hold together: at a real model's shape one plan is
    /// gigabytes (the logits alone are N × V floats), and reallocating it costs less than keeping it.
    public static let keptPlanBytes = 1 << 30
    private var rotary: RotaryTable
    private var batch: TokenBatch?
    private var countedTargets = 0

    /// A model with every parameter zero; load or initialise the weights next.
    public init(config: LlamaConfig) {
        self.config = config
        layout = ParameterLayout(config: config)
        parameters = .allocate(capacity: layout.count)
        parameters.initialize(repeating: 0)
        gradientMap = .all(parameterCount: layout.count)
        rotary = config.rotaryTable(positions: config.maxPositionEmbeddings)
    }

    deinit {
        parameters.deallocate()
        gradientStorage?.deallocate()
    }

    /// Gradients of the trainable parameters, laid out by `gradientMap` (mirroring `parameters`
    /// when every parameter trains); allocated (zeroed) on first use.
    public var gradients: UnsafeMutableBufferPointer<Float> {
        let storage = allocatedGradients
        if gradientsPendingZero {
            storage.update(repeating: 0)
            gradientsPendingZero = false
        }
        return storage
    }

    private var allocatedGradients: UnsafeMutableBufferPointer<Float> {
        if let gradientStorage { return gradientStorage }
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: gradientMap.count)
        storage.initialize(repeating: 0)
        gradientStorage = storage
        return storage
    }

    public func zeroGradients() {
        if gradientStorage != nil { gradientsPendingZero = true }
    }

    /// The gradients of `range` of the parameter buffer; nil when it is frozen.
    public func gradients(of range: Range<Int>) -> UnsafeMutableBufferPointer<Float>? {
        gradientMap.gradientOffset(of: range).map { UnsafeMutableBufferPointer(rebasing: gradients[$0..<$0 + range.count]) }
    }

    /// Trains only `ranges` of the parameter buffer (sorted, disjoint; every fused matrix, such
    /// as q/k/v or gate/up, whole or not at all): the rest is frozen, with no gradient memory,
    /// and backward stops at the lowest layer that trains. Gradients held so far are dropped
    /// when the set changes.
    public func restrictTraining(to ranges: [Range<Int>]) {
        let map = GradientMap(ranges: ranges, parameterCount: layout.count)
        guard map != gradientMap else { return }
        let C = config.hiddenSize, qkvWidth = (config.headCount + 2 * config.keyValueHeadCount) * config.headDim
        for w in layout.layers {
            let qkvBias = w.qkvBias.map { [$0..<$0 + qkvWidth] } ?? []
            for fused in [w.qkv..<w.qkv + qkvWidth * C, w.gateUp..<w.gateUp + 2 * config.intermediateSize * C] + qkvBias {
                _ = map.gradientOffset(of: fused)  // traps when a range cuts the fused matrix
            }
        }
        gradientStorage?.deallocate()
        gradientStorage = nil
        gradientsPendingZero = false
        gradientMap = map
        activations = nil  // plans keep the layers backward reaches, which may change now
        otherPlans = []
        if map.trainsAny(of: layout.embedding..<layout.embedding + config.vocabSize * C) {
            lowestTrainedLayer = -1
        } else {
            lowestTrainedLayer = (0..<config.layerCount).first { l in
                layout.tensors.contains { $0.name.hasPrefix("model.layers.\(l).") && map.trainsAny(of: $0.offset..<$0.offset + $0.count) }
            } ?? config.layerCount
        }
    }

    /// The logits of the last forward pass, [N, V] row-major (∂L/∂logits after a loss head).
    public var logits: UnsafeMutableBufferPointer<Float> {
        guard let activations else { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        return UnsafeMutableBufferPointer(start: activations.logits, count: activations.batchSize * activations.length * config.vocabSize)
    }

    /// Bytes held by the activation plans (the current batch shape's and the kept ones).
    public var activationByteCount: Int {
        otherPlans.reduce(activations?.byteCount ?? 0) { $0 + $1.byteCount }
    }

    private func plan(for batch: TokenBatch) -> Activations {
        if let activations, activations.batchSize == batch.batchSize, activations.length == batch.length {
            return activations
        }
        if let current = activations { otherPlans.append(current) }
        activations = nil
        if let index = otherPlans.firstIndex(where: { $0.batchSize == batch.batchSize && $0.length == batch.length }) {
            activations = otherPlans.remove(at: index)
            return activations!
        }
        // Free the oldest plans before allocating the new one.
        if otherPlans.count >= Self.keptPlanCount { otherPlans.removeFirst(otherPlans.count - Self.keptPlanCount + 1) }
        while otherPlans.reduce(0, { $0 + $1.byteCount }) > Self.keptPlanBytes { otherPlans.removeFirst() }
        let planned = Activations(config: config, batchSize: batch.batchSize, length: batch.length, keptFrom: lowestTrainedLayer)
        activations = planned
        return planned
    }

    private var attentionShape: AttentionShape {
        AttentionShape(batch: batch!.batchSize, time: batch!.length, heads: config.headCount,
                       keyValueHeads: config.keyValueHeadCount, headDim: config.headDim, window: config.slidingWindow)
    }

    /// Makes `rotary` cover positions 0..<length. Dynamic NTK scaling stretches every
    /// frequency once a forward runs past max_position_embeddings, by an amount that depends
    /// on the length, so its table always spans exactly max(length, max_position_embeddings).
    private func updateRotary(forLength length: Int) {
        let positions = if case .dynamic? = config.ropeScaling {
            max(length, config.maxPositionEmbeddings)
        } else {
            max(length, rotary.positions)
        }
        if positions != rotary.positions { rotary = config.rotaryTable(positions: positions) }
    }

    // MARK: forward

    /// Runs the decoder over `batch`, filling `logits` and keeping what backward needs.
    public func forward(_ batch: TokenBatch) throws {
        try batch.validate(vocabularySize: config.vocabSize)
        updateRotary(forLength: Int(batch.maximumPosition) + 1)
        let a = plan(for: batch)
        self.batch = batch
        let c = config, p = parameters.baseAddress!
        let N = batch.tokenCount, C = c.hiddenSize, I = c.intermediateSize, V = c.vocabSize
        let H = c.headCount, G = c.keyValueHeadCount, D = c.headDim
        let qkvWidth = (H + 2 * G) * D, eps = Float(c.rmsNormEpsilon)
        let shape = attentionShape

        batch.tokens.withUnsafeBufferPointer { tokens in
            embeddingForward(a.residual[0], tokens: tokens.baseAddress!, table: p + layout.embedding, count: N, channels: C)
        }
        batch.positions.withUnsafeBufferPointer { positionBuffer in
            batch.keyMask.withUnsafeBufferPointer { keyMask in
                let positions = positionBuffer.baseAddress!
                for (l, w) in layout.layers.enumerated() {
                    rmsNormForward(a.inputNorm[l], rstd: a.inputRstd[l], a.residual[l], weight: p + w.inputNorm,
                                   rows: N, channels: C, epsilon: eps)
                    matmulForward(a.qkv[l], a.inputNorm[l], p + w.qkv, rows: N, inputs: C, outputs: qkvWidth)
                    if let bias = w.qkvBias { biasForward(a.qkv[l], bias: p + bias, rows: N, columns: qkvWidth) }
                    rotaryForward(a.qkv[l], positions: positions, table: rotary, count: N, rowStride: qkvWidth, heads: H)
                    rotaryForward(a.qkv[l] + H * D, positions: positions, table: rotary, count: N, rowStride: qkvWidth, heads: G)
                    attentionForward(a.attention[l], probabilities: a.probabilities[l], qkv: a.qkv[l],
                                     keyMask: keyMask.baseAddress!, shape: shape)
                    matmulForward(a.branch, a.attention[l], p + w.output, rows: N, inputs: H * D, outputs: C)
                    if let bias = w.outputBias { biasForward(a.branch, bias: p + bias, rows: N, columns: C) }
                    residualForward(a.residualMid[l], a.residual[l], a.branch, count: N * C)

                    rmsNormForward(a.postNorm[l], rstd: a.postRstd[l], a.residualMid[l], weight: p + w.postAttentionNorm,
                                   rows: N, channels: C, epsilon: eps)
                    matmulForward(a.gateUp[l], a.postNorm[l], p + w.gateUp, rows: N, inputs: C, outputs: 2 * I)
                    swiGLUForward(a.mlpHidden, gateUp: a.gateUp[l], rows: N, hidden: I)
                    matmulForward(a.branch, a.mlpHidden, p + w.down, rows: N, inputs: I, outputs: C)
                    residualForward(a.residual[l + 1], a.residualMid[l], a.branch, count: N * C)
                }
            }
        }
        rmsNormForward(a.finalNorm, rstd: a.finalRstd, a.residual[c.layerCount], weight: p + layout.finalNorm,
                       rows: N, channels: C, epsilon: eps)
        matmulForward(a.logits, a.finalNorm, p + layout.lmHead, rows: N, inputs: C, outputs: V)
    }

    // MARK: next-token cross-entropy

    /// Mean next-token NLL of the last forward pass over the batch's counted targets
    /// (NaN when none is counted); per-position losses go to `tokenLosses`.
    @discardableResult
    public func crossEntropyLoss() -> Float {
        guard let a = activations, let batch else { return .nan }
        countedTargets = batch.targets.withUnsafeBufferPointer { targets in
            crossEntropyForward(losses: a.losses, logSumExp: a.logSumExp, logits: a.logits, targets: targets.baseAddress!,
                                rows: batch.tokenCount, vocabulary: config.vocabSize)
        }
        guard countedTargets > 0 else { return .nan }
        var sum: Double = 0
        for n in 0..<batch.tokenCount { sum += Double(a.losses[n]) }
        return Float(sum / Double(countedTargets))
    }

    /// Each position's NLL of its target from the last `crossEntropyLoss()` (0 where not counted).
    public var tokenLosses: [Float] {
        guard let a = activations, let batch else { return [] }
        return Array(UnsafeBufferPointer(start: a.losses, count: batch.tokenCount))
    }

    /// Backward of `scale` × the mean cross-entropy (`crossEntropyLoss()` must have run):
    /// writes ∂L/∂logits into `logits`, then runs `backward()`.
    public func backwardCrossEntropy(scale: Float = 1) {
        guard let a = activations, let batch, countedTargets > 0 else { return }
        batch.targets.withUnsafeBufferPointer { targets in
            crossEntropyBackward(logitsToGradient: a.logits, logSumExp: a.logSumExp, targets: targets.baseAddress!,
                                 rows: batch.tokenCount, vocabulary: config.vocabSize, scale: scale / Float(countedTargets))
        }
        backward()
    }

    // MARK: backward

    /// Accumulates ∂L/∂parameters into `gradients`, given ∂L/∂logits in `logits`: the trainable
    /// parameters' only. Frozen weights pass the gradient on without one of their own; below
    /// the lowest layer that trains nothing is computed.
    public func backward() {
        guard let a = activations, let batch, gradientMap.count > 0 else { return }
        let c = config, p = parameters.baseAddress!, gradientBase = allocatedGradients.baseAddress!
        let N = batch.tokenCount, C = c.hiddenSize, I = c.intermediateSize, V = c.vocabSize
        let H = c.headCount, G = c.keyValueHeadCount, D = c.headDim
        let qkvWidth = (H + 2 * G) * D
        let shape = attentionShape
        /// Where the gradients of the `count` parameters at `offset` go; nil when they are frozen.
        func g(_ offset: Int, _ count: Int) -> UnsafeMutablePointer<Float>? {
            gradientMap.gradientOffset(of: offset..<offset + count).map { gradientBase + $0 }
        }
        let lowest = lowestTrainedLayer, reachesLayers = lowest < c.layerCount
        // Each gradient below is written once before anything adds to it, except the untied
        // embedding's, which only the scatter-add of the embedding backward produces.
        let accumulate = !gradientsPendingZero
        gradientsPendingZero = false
        let embeddingGradient = g(layout.embedding, V * C)
        if !accumulate && !c.tieWordEmbeddings, let embeddingGradient {
            embeddingGradient.update(repeating: 0, count: V * C)
        }

        a.dResidual.update(repeating: 0, count: N * C)
        let finalNormGradient = g(layout.finalNorm, C)
        matmulBackward(dInput: reachesLayers || finalNormGradient != nil ? a.dNorm : nil, dWeight: g(layout.lmHead, V * C),
                       dOut: a.logits, input: a.finalNorm,
                       weight: p + layout.lmHead, rows: N, inputs: C, outputs: V, accumulateWeight: accumulate)
        rmsNormBackward(dInput: reachesLayers ? a.dResidual : nil, dWeight: finalNormGradient, dOut: a.dNorm, input: a.residual[c.layerCount],
                        weight: p + layout.finalNorm, rstd: a.finalRstd, rows: N, channels: C, accumulateWeight: accumulate)
        batch.positions.withUnsafeBufferPointer { positionBuffer in
            let positions = positionBuffer.baseAddress!
            for l in stride(from: c.layerCount - 1, through: max(lowest, 0), by: -1) {
                let w = layout.layers[l]
                // In the lowest layer that trains, no gradient goes on to the layer below.
                let inputNormGradient = g(w.inputNorm, C), passesDown = l > lowest
                // MLP branch; its output gradient is the residual gradient itself.
                swiGLUForward(a.mlpHidden, gateUp: a.gateUp[l], rows: N, hidden: I)
                matmulBackward(dInput: a.dMlpHidden, dWeight: g(w.down, C * I), dOut: a.dResidual, input: a.mlpHidden,
                               weight: p + w.down, rows: N, inputs: I, outputs: C, accumulateWeight: accumulate)
                swiGLUBackward(dGateUp: a.dGateUp, dOut: a.dMlpHidden, gateUp: a.gateUp[l], rows: N, hidden: I)
                matmulBackward(dInput: a.dNorm, dWeight: g(w.gateUp, 2 * I * C), dOut: a.dGateUp, input: a.postNorm[l],
                               weight: p + w.gateUp, rows: N, inputs: C, outputs: 2 * I, accumulateWeight: accumulate)
                rmsNormBackward(dInput: a.dResidual, dWeight: g(w.postAttentionNorm, C), dOut: a.dNorm, input: a.residualMid[l],
                                weight: p + w.postAttentionNorm, rstd: a.postRstd[l], rows: N, channels: C,
                                accumulateWeight: accumulate)

                // Attention branch.
                matmulBackward(dInput: a.dAttention, dWeight: g(w.output, C * H * D), dOut: a.dResidual, input: a.attention[l],
                               weight: p + w.output, rows: N, inputs: H * D, outputs: C, accumulateWeight: accumulate)
                if let bias = w.outputBias, let dBias = g(bias, C) {
                    biasBackward(dBias: dBias, dOut: a.dResidual, rows: N, columns: C, accumulate: accumulate)
                }
                attentionBackward(dQKV: a.dQKV, scratch: a.dScores, dOut: a.dAttention, qkv: a.qkv[l],
                                  probabilities: a.probabilities[l], shape: shape)
                rotaryBackward(a.dQKV, positions: positions, table: rotary, count: N, rowStride: qkvWidth, heads: H)
                rotaryBackward(a.dQKV + H * D, positions: positions, table: rotary, count: N, rowStride: qkvWidth, heads: G)
                matmulBackward(dInput: passesDown || inputNormGradient != nil ? a.dNorm : nil, dWeight: g(w.qkv, qkvWidth * C),
                               dOut: a.dQKV, input: a.inputNorm[l],
                               weight: p + w.qkv, rows: N, inputs: C, outputs: qkvWidth, accumulateWeight: accumulate)
                if let bias = w.qkvBias, let dBias = g(bias, qkvWidth) {
                    biasBackward(dBias: dBias, dOut: a.dQKV, rows: N, columns: qkvWidth, accumulate: accumulate)
                }
                rmsNormBackward(dInput: passesDown ? a.dResidual : nil, dWeight: inputNormGradient, dOut: a.dNorm, input: a.residual[l],
                                weight: p + w.inputNorm, rstd: a.inputRstd[l], rows: N, channels: C,
                                accumulateWeight: accumulate)
            }
        }
        guard lowest < 0, let embeddingGradient else { return }
        batch.tokens.withUnsafeBufferPointer { tokens in
            embeddingBackward(dTable: embeddingGradient, dOut: a.dResidual, tokens: tokens.baseAddress!, count: N, channels: C)
        }
    }
}
