import Kernels
import Model

/// What the loss heads read from the reference model (the version being unlearned from,
/// frozen), computed once from its forward pass and kept per example, so that a trainer can
/// cache the whole forget set before the first step and regroup examples into batches freely.
///
/// Per example: its response targets, in order (so a batch row can be checked to be the same
/// example), and log π_ref(y | x) summed over them (NPO needs nothing more). With
/// `.distributions`, also the reference's log-probabilities log softmax(z_t^ref) over the whole
/// vocabulary at each response position (DiPO, KL): V Float32 per position; prompt and padding
/// positions are not stored.
///
/// Why dense: DiPO's direction π⁺_t − π⁻_t equals c · softmax(z_t^ref) off the few masked tokens
/// (c > 0), so it is non-zero wherever the reference puts any probability, and KL(π_ref ‖ π_θ)
/// pulls on every token too: a top-k or top-p truncation, or a half-precision copy, would change
/// every gradient. Log-probabilities rather than logits: the per-position shift cancels in all
/// the heads compute (Σ_v (π⁺ − π⁻)_v = 0). Rebuilding π± from them costs O(V) per position and
/// step, and leaves k, γ, the mask rule and the source free to change without a new cache.
/// (The one exact form below V per position would be the reference's final hidden state, C
/// floats, with one copy of its output head, recomputing z^ref by a matmul each step; the model
/// does not expose that activation today.)
public struct ReferenceCache: Sendable, Equatable {
    /// What a cache holds: the sequence log-probabilities only (NPO), or also the distributions.
    public enum Contents: String, Sendable, Codable {
        case sequenceLogProbabilities
        case distributions
    }

    /// One example's reference data.
    public struct Example: Sendable, Equatable {
        /// The example's response targets, in order.
        public let targets: [Int32]
        /// Σ_t log π_ref(y_t) over the response positions.
        public let sequenceLogProbability: Double
        /// log π_ref of the last response target (an answer's end-of-sequence token, which a
        /// likelihood of the answer's text leaves out); 0 without a response position.
        public let finalLogProbability: Double
        /// [targets.count, V] row-major log π_ref at each response position; empty for a cache
        /// of sequence log-probabilities.
        public let logProbabilities: [Float]

        /// Bytes this example keeps.
        public var byteCount: Int {
            targets.count * MemoryLayout<Int32>.size + MemoryLayout<Double>.size + logProbabilities.count * MemoryLayout<Float>.size
        }
    }

    public let vocabularySize: Int
    /// One per batch row, in order.
    public let examples: [Example]

    /// Runs `model` (the reference) over `batch` and keeps what `contents` names. The model's
    /// activations are overwritten.
    public init(model: LlamaModel, batch: TokenBatch, contents: Contents) throws {
        try model.forward(batch)
        try self.init(logits: UnsafeBufferPointer(model.logits), batch: batch, contents: contents)
    }

    /// The cache of reference `logits` [B·T, V] over `batch`; throws when no position of the
    /// batch is a response position.
    public init(logits: UnsafeBufferPointer<Float>, batch: TokenBatch, contents: Contents) throws {
        let V = try batch.vocabularySize(ofLogitCount: logits.count), T = batch.length
        vocabularySize = V
        examples = try ResponseLikelihood.withComputed(logits: logits.baseAddress!, batch: batch, vocabulary: V) { likelihood in
            (0..<batch.batchSize).map { b in
                let responses = (b * T..<(b + 1) * T).filter { likelihood.positions.ranks[$0] >= 0 }
                var logProbabilities: [Float] = []
                if contents == .distributions {
                    logProbabilities.reserveCapacity(responses.count * V)
                    for n in responses {
                        for v in 0..<V { logProbabilities.append(logits[n * V + v] - likelihood.logSumExp[n]) }
                    }
                }
                let final = responses.last.map { Double(logits[$0 * V + Int(batch.targets[$0])] - likelihood.logSumExp[$0]) } ?? 0
                return Example(targets: responses.map { batch.targets[$0] }, sequenceLogProbability: -likelihood.sums[b],
                               finalLogProbability: final, logProbabilities: logProbabilities)
            }
        }
    }

    /// The cache of a batch made of cached examples, in the batch's row order (no data is copied).
    public init(examples: [Example], vocabularySize: Int) {
        self.examples = examples
        self.vocabularySize = vocabularySize
    }

    /// Bytes the cache keeps.
    public var byteCount: Int { examples.reduce(0) { $0 + $1.byteCount } }

    /// Throws unless this is the cache of `batch`'s examples, in order, holding `needs` for each.
    func check(for batch: TokenBatch, vocabulary: Int, needs: Contents) throws {
        guard examples.count == batch.batchSize, vocabularySize == vocabulary else {
            throw ObjectiveError.referenceShape(cacheExamples: examples.count, cacheVocabulary: vocabularySize,
                                                batchExamples: batch.batchSize, batchVocabulary: vocabulary)
        }
        let T = batch.length
        for (b, example) in examples.enumerated() {
            var rank = 0
            for n in b * T..<(b + 1) * T where batch.targets[n] != ignoreIndex {
                guard rank < example.targets.count, example.targets[rank] == batch.targets[n] else {
                    throw ObjectiveError.referenceTargets(example: b)
                }
                rank += 1
            }
            guard rank == example.targets.count else { throw ObjectiveError.referenceTargets(example: b) }
            if needs == .distributions && example.logProbabilities.count != rank * vocabulary {
                throw ObjectiveError.missingReference(needs: .distributions)
            }
        }
    }
}
