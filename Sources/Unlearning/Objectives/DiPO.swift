import Kernels
import Model

/// Distribution Preference Optimization (Qin et al. 2025, arXiv 2510.04773): at every response
/// position prefer π⁺ = softmax(z^ref − γ·1[M]) to π⁻ = softmax(z^ref + γ·1[M]), through a
/// Bradley–Terry model over sequence KL divergences,
///
///     Δ = [SeqKL(π⁻‖π_θ) − SeqKL(π⁺‖π_θ)] − [SeqKL(π⁻‖π_ref) − SeqKL(π⁺‖π_ref)].
///
/// The margin is linear in the policy's logits,
///
///     Δ = Σ_t (π⁺_t − π⁻_t) · (z_t^θ − z_t^ref),   0 when θ is the reference,
///
/// and the loss is the batch mean of −log σ(βΔ), with gradient −β σ(−βΔ) (π⁺_t − π⁻_t) / B:
/// a direction fixed by the reference, weighted by how far the example still is from forgotten.
/// B counts the examples with at least one response position.
public struct DiPO: LossHead, Codable, Equatable {
    /// Which tokens M_t are amplified and suppressed.
    public enum HighConfidence: String, Sendable, Codable {
        /// The k most likely tokens under the source.
        case topK = "topk"
        /// The ground-truth token y_t.
        case target
        /// Both (the default).
        case topKAndTarget = "topk+target"
    }

    /// Whose distribution M, π⁺ and π⁻ come from.
    public enum Source: String, Sendable, Codable {
        /// The reference model's (the default).
        case reference
        /// The current model's, detached: no gradient flows through π±; Δ is still measured
        /// against the reference.
        case policy
    }

    public var highConfidence: HighConfidence
    public var k: Int
    /// The amplification strength, in log space.
    public var gamma: Float
    public var beta: Float
    public var source: Source

    public init(highConfidence: HighConfidence = .topKAndTarget, k: Int = 1, gamma: Float = 5, beta: Float = 1,
                source: Source = .reference) {
        self.highConfidence = highConfidence
        self.k = k
        self.gamma = gamma
        self.beta = beta
        self.source = source
    }

    public var referenceContents: ReferenceCache.Contents? { .distributions }

    public func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                                reference: ReferenceCache?, scale: Float) throws -> Float {
        let V = try batch.vocabularySize(ofLogitCount: logits.count)
        try checkParameters(vocabulary: V)
        let reference = try requireReference(reference, for: batch, vocabulary: V)
        let B = batch.batchSize, T = batch.length, N = batch.tokenCount
        let z = logits.baseAddress!, maskCapacity = (highConfidence == .target ? 0 : k) + 1
        return try ResponsePositions.withPositions(of: batch) { positions in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: N + 2 * B) { storage in
                let positionMargins = storage.baseAddress!, margins = positionMargins + N, marginGradients = margins + B

                // Forward: each response position's term of its example's margin; on the way its
                // logits row becomes π⁺ − π⁻, all the backward needs from it.
                Parallelism.forEachChunk(of: N, minimumChunk: 4) { chunk in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: maskCapacity) { masked in
                        for n in chunk {
                            let row = z + n * V, rank = positions.ranks[n]
                            guard rank >= 0 else {
                                row.update(repeating: 0, count: V)
                                continue
                            }
                            reference.examples[n / T].logProbabilities.withUnsafeBufferPointer { cached in
                                let referenceRow = cached.baseAddress! + rank * V
                                let sourceRow = source == .reference ? referenceRow : UnsafePointer(row)
                                let count = selectHighConfidenceTokens(sourceRow, vocabulary: V, target: positions.targets[n],
                                                                       rule: highConfidence, k: k, into: masked.baseAddress!)
                                positionMargins[n] = writePreferenceDifference(
                                    row: row, referenceLogProbabilities: referenceRow, source: sourceRow, vocabulary: V,
                                    masked: masked.baseAddress!, maskedCount: count, gamma: gamma)
                            }
                        }
                    }
                }
                positions.sum(positionMargins, into: margins)

                let β = Double(beta), examples = Double(positions.countedExamples)
                var loss = 0.0
                for b in 0..<B where positions.counts[b] > 0 {
                    loss += softplus(-β * margins[b])
                    marginGradients[b] = Double(scale) * -β * sigmoid(-β * margins[b]) / examples
                }

                // Backward: ∂L/∂z_t = ∂L/∂Δ · (π⁺_t − π⁻_t), the row's current content.
                Parallelism.forEachChunk(of: N, minimumChunk: 4) { chunk in
                    for n in chunk where positions.ranks[n] >= 0 {
                        let row = z + n * V, factor = Float(marginGradients[n / T])
                        for v in 0..<V { row[v] *= factor }
                    }
                }
                return Float(loss / examples)
            }
        }
    }

    private func checkParameters(vocabulary: Int) throws {
        if highConfidence != .target && !(1...vocabulary).contains(k) {
            throw ObjectiveError.invalidParameter(name: "k", value: Double(k))
        }
        guard gamma > 0 && gamma.isFinite else { throw ObjectiveError.invalidParameter(name: "gamma", value: Double(gamma)) }
        guard beta > 0 && beta.isFinite else { throw ObjectiveError.invalidParameter(name: "beta", value: Double(beta)) }
    }
}
