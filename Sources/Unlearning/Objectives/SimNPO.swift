import Model

/// SimNPO (Fan et al. 2024): NPO without a reference model, on the length-normalised
/// log-probability: L = −(2/β) · mean_b log σ(−(β/|y|) log π_θ(y|x) − δ).
public struct SimNPO: LossHead, Codable, Equatable {
    public var beta: Float
    public var delta: Float

    public init(beta: Float = 4.5, delta: Float = 0) {
        self.beta = beta
        self.delta = delta
    }

    public var referenceContents: ReferenceCache.Contents? { nil }

    public func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                                reference: ReferenceCache?, scale: Float) throws -> Float {
        let V = try batch.vocabularySize(ofLogitCount: logits.count)
        let β = Double(beta), δ = Double(delta)
        // x = (β/|y|) log π_θ + δ = −(β/|y|) · NLL + δ.
        return try negativePreferenceLoss(logits: logits, batch: batch, vocabulary: V, beta: beta, scale: scale) { _, length in
            (slope: -β / Double(length), offset: δ)
        }
    }
}
