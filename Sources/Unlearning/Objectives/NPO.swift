import Model

/// Negative Preference Optimization (Zhang et al. 2024) on forget examples:
/// L = −(2/β) · mean_b log σ(−β [log π_θ(y|x) − log π_ref(y|x)]), log-probabilities summed over
/// the response. At θ = ref it is (2/β) log 2. The retain term is a separate head.
public struct NPO: LossHead, Codable, Equatable {
    public var beta: Float

    public init(beta: Float = 0.1) {
        self.beta = beta
    }

    public var referenceContents: ReferenceCache.Contents? { .sequenceLogProbabilities }

    public func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                                reference: ReferenceCache?, scale: Float) throws -> Float {
        let V = try batch.vocabularySize(ofLogitCount: logits.count)
        let reference = try requireReference(reference, for: batch, vocabulary: V)
        let β = Double(beta)
        // x = β (log π_θ − log π_ref) = −β · NLL − β · log π_ref.
        return try negativePreferenceLoss(logits: logits, batch: batch, vocabulary: V, beta: beta, scale: scale) { b, _ in
            (slope: -β, offset: -β * reference.examples[b].sequenceLogProbability)
        }
    }
}
