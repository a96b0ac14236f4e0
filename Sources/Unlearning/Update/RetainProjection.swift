import Kernels
import Model

/// Keeps an update's steps out of the directions the retain examples' inputs use, weight
/// matrix by weight matrix (after AlphaEdit, Fang et al., ICLR 2025, which projects a
/// knowledge edit onto the null space of the preserved knowledge's keys). For a matrix W whose
/// inputs x on the retain examples have the second moment E[xxᵀ] = Σ λᵢ uᵢuᵢᵀ, each step ΔW
/// becomes ΔW·M with M = Σ α/(λᵢ + α) uᵢuᵢᵀ: a direction the retain inputs hardly use
/// (λᵢ ≪ α) passes whole, one they use much is damped, so ΔW·x stays small for every retain x
/// while the forget examples' own directions still move. α is `strength` × the mean λᵢ.
///
/// Why: on the embedded model every author is answered through the same sentence frame, and a
/// plain step that forgets one author's answers moves the frame, hence every other author's
/// (docs/dipo.md, "Sustainable forgetting"). Norm weights and biases, which every token reads
/// alike, do not move. The second moments are measured under the model the update starts from.
final class RetainProjection {
    /// Retain examples whose tokens the second moments are measured over (evenly spaced), at
    /// most: 500 of the embedded corpus's (about 15,000 tokens, 60 times the hidden size)…
    static let sampleExamples = 500
    /// …and as many as hold about this many tokens: each costs a forward pass of the model,
    /// which on a real model's scale is the price of the projection (SmolLM2-135M: 2 × 135 M × 16,384,
    /// about 4.4 TFLOP).
    static let sampleTokens = 16384
    /// A matrix whose input is wider passes its step whole: its projector would hold width²
    /// floats (268 MB for Llama-3.2-1B's down projection, 8192 wide) and take minutes to find.
    static let maxWidth = 4096
    /// Examples per forward pass while measuring.
    static let sampleBatchSize = 16

    private struct Target {
        let range: Range<Int>
        let rows: Int, width: Int
        /// M, width × width, row-major.
        let projector: [Float]
    }
    private let targets: [Target]
    private let frozen: [Range<Int>]
    /// The weights before the step under way: of the targets, then of the frozen tensors.
    private var before: [Float]

    /// Measures the inputs of `model` (the update's starting point) on `retainExamples` and
    /// builds the projector of every trainable weight matrix.
    init(model: LlamaModel, retainExamples: [SupervisedExample], padToken: Int, strength: Double, trainable: [Range<Int>]) throws {
        guard !retainExamples.isEmpty else { throw UnlearningError.noRetainExamples }
        let batching = ExampleBatching(examples: retainExamples, batchSize: Self.sampleBatchSize, seed: 0)
        let meanTokens = max(1, retainExamples.reduce(0) { $0 + $1.tokenCount } / retainExamples.count)
        let sample = Array(retainExamples.indices).evenlySpaced(max(1, min(Self.sampleExamples, Self.sampleTokens / meanTokens)))
        var moments = LinearInputMoments(config: model.config)
        for start in stride(from: 0, to: sample.count, by: Self.sampleBatchSize) {
            let batch = Array(sample[start..<min(sample.count, start + Self.sampleBatchSize)])
            try model.accumulateLinearInputMoments(batching.tokenBatch(batch, padToken: padToken), into: &moments)
        }
        targets = Self.matrices(model.config, trainable: trainable).map { matrix in
            Target(range: matrix.range, rows: matrix.rows, width: matrix.width,
                   projector: Self.projector(matrix.inputs(moments), strength: strength))
        }
        frozen = Self.frozenRanges(model.config, trainable: trainable)
        before = []
        before.reserveCapacity(Self.rememberedCount(targets.map(\.range), frozen: frozen))
    }

    /// A weight matrix whose steps are projected, and which second moment its inputs have.
    private struct Matrix {
        let range: Range<Int>
        let rows: Int, width: Int
        let inputs: (LinearInputMoments) -> LinearInputMoments.Matrix
    }

    /// The trainable weight matrices of a model of `config` that are projected: every layer's
    /// and the head's, those wider than `maxWidth` left out.
    private static func matrices(_ c: LlamaConfig, trainable: [Range<Int>]) -> [Matrix] {
        let layout = ParameterLayout(config: c)
        let C = c.hiddenSize, I = c.intermediateSize, attentionWidth = c.headCount * c.headDim
        let qkvRows = (c.headCount + 2 * c.keyValueHeadCount) * c.headDim
        var matrices: [Matrix] = []
        func add(_ offset: Int, rows: Int, width: Int, _ inputs: @escaping (LinearInputMoments) -> LinearInputMoments.Matrix) {
            let range = offset..<offset + rows * width
            guard trains(range, trainable), width <= maxWidth else { return }
            matrices.append(Matrix(range: range, rows: rows, width: width, inputs: inputs))
        }
        for (l, w) in layout.layers.enumerated() {
            add(w.qkv, rows: qkvRows, width: C) { $0.attentionInput[l] }
            add(w.output, rows: C, width: attentionWidth) { $0.attentionOutput[l] }
            add(w.gateUp, rows: 2 * I, width: C) { $0.mlpInput[l] }
            add(w.down, rows: C, width: I) { $0.mlpHidden[l] }
        }
        add(layout.lmHead, rows: c.vocabSize, width: C) { $0.headInput }
        return matrices
    }

    /// The trainable norm weights and biases, which are held where they were.
    private static func frozenRanges(_ c: LlamaConfig, trainable: [Range<Int>]) -> [Range<Int>] {
        ParameterLayout(config: c).tensors.filter { $0.isNormWeight || $0.isBias }.map { $0.offset..<$0.offset + $0.count }
            .filter { trains($0, trainable) }
    }

    /// Whether any of `range` is among the update's trainable stretches.
    private static func trains(_ range: Range<Int>, _ trainable: [Range<Int>]) -> Bool {
        trainable.contains { $0.overlaps(range) }
    }

    /// Bytes the projection of an update of a model of `config` holds while it trains: a
    /// width² projector per projected matrix and, of every tensor it projects or freezes, the
    /// weights before the step.
    public static func heldBytes(for config: LlamaConfig, trainable: [Range<Int>]) -> Int {
        let matrices = matrices(config, trainable: trainable)
        let remembered = rememberedCount(matrices.map(\.range), frozen: frozenRanges(config, trainable: trainable))
        return 4 * (matrices.reduce(0) { $0 + $1.width * $1.width } + remembered)
    }

    /// The weights kept from before each step: of the projected matrices, then of the frozen tensors.
    private static func rememberedCount(_ projected: [Range<Int>], frozen: [Range<Int>]) -> Int {
        (projected + frozen).reduce(0) { $0 + $1.count }
    }

    /// M = Σ α/(λᵢ + α) uᵢuᵢᵀ; the identity when LAPACK fails. The sums serve as well as the
    /// second moments: α scales with the λᵢ, so M does not change when they are divided by the tokens.
    static func projector(_ matrix: LinearInputMoments.Matrix, strength: Double) -> [Float] {
        let w = matrix.width
        guard let eigen = SymmetricEigen(matrix.symmetric, width: w) else {
            return (0..<w * w).map { $0 / w == $0 % w ? 1 : 0 }
        }
        let values = eigen.values.map { Double(max($0, 0)) }
        let alpha = strength * values.reduce(0, +) / Double(w)
        // M as the Gram matrix of the rows √fᵢ·uᵢ.
        var rows = eigen.vectors
        for i in 0..<w {
            let f = alpha > 0 ? Float((alpha / (values[i] + alpha)).squareRoot()) : 1
            for j in 0..<w { rows[i * w + j] *= f }
        }
        var m = [Float](repeating: 0, count: w * w)
        m.withUnsafeMutableBufferPointer {
            gramAccumulate($0.baseAddress!, rows: rows, count: w, width: w)
            mirrorUpperTriangle($0.baseAddress!, width: w)
        }
        return m
    }

    /// Keeps the weights the next step starts from.
    func remember(_ model: LlamaModel) {
        before.removeAll(keepingCapacity: true)
        for target in targets { before.append(contentsOf: model.parameters[target.range]) }
        for range in frozen { before.append(contentsOf: model.parameters[range]) }
    }

    /// Replaces the step since `remember` by its projection: W = W₀ + (W − W₀)·M, frozen
    /// tensors back to W₀.
    func project(_ model: LlamaModel) {
        let p = model.parameters.baseAddress!
        var step = [Float]()
        before.withUnsafeBufferPointer { before in
            var cursor = before.baseAddress!
            for target in targets {
                let weights = p + target.range.lowerBound, count = target.range.count
                step.removeAll(keepingCapacity: true)
                for i in 0..<count { step.append(weights[i] - cursor[i]) }
                weights.update(from: cursor, count: count)
                target.projector.withUnsafeBufferPointer { m in
                    // (W − W₀)·M = (W − W₀)·Mᵀ: M is symmetric.
                    matmulForward(weights, step, m.baseAddress!, rows: target.rows, inputs: target.width, outputs: target.width,
                                  accumulate: true)
                }
                cursor += count
            }
            for range in frozen {
                (p + range.lowerBound).update(from: cursor, count: range.count)
                cursor += range.count
            }
        }
    }
}
