import Model

/// The mean next-token NLL over the batch's response positions, the loss
/// `LlamaModel.crossEntropyLoss` computes: the retain term of DiPO, NPO and SimNPO (at scale λ)
/// and of GradDiff (at scale α).
public struct NegativeLogLikelihood: LossHead, Codable, Equatable {
    public init() {}

    public var referenceContents: ReferenceCache.Contents? { nil }

    public func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                                reference: ReferenceCache?, scale: Float) throws -> Float {
        let V = try batch.vocabularySize(ofLogitCount: logits.count)
        let z = logits.baseAddress!
        return try ResponseLikelihood.withComputed(logits: z, batch: batch, vocabulary: V) { likelihood in
            let positions = Double(likelihood.positions.total)
            var loss = 0.0
            for b in 0..<batch.batchSize {
                loss += likelihood.sums[b]
                likelihood.sumGradients[b] = Float(Double(scale) / positions)
            }
            likelihood.backward(into: z)
            return Float(loss / positions)
        }
    }
}
