import Model

/// A loss over a batch's logits whose gradient stops at the logits: an unlearning objective
/// (DiPO, NPO, SimNPO, gradient ascent) or a retain term (NLL, KL to the reference). A step
/// with one reads
///
///     try model.forward(batch)
///     let loss = try head.lossAndGradient(logits: model.logits, batch: batch, reference: cache, scale: λ)
///     model.backward()
///
/// and a forget batch and a retain batch add their gradients by doing that twice (the second
/// backward accumulates). `batch.targets` mark the response positions (≠ ignoreIndex); prompt
/// and padding positions carry no loss and get a zero gradient row.
public protocol LossHead: Sendable {
    /// What the head reads from the reference model; nil when it needs none.
    var referenceContents: ReferenceCache.Contents? { get }

    /// Returns the loss of `batch` (unscaled) and overwrites `logits`, [B·T, V], with
    /// scale · ∂loss/∂logits.
    func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                         reference: ReferenceCache?, scale: Float) throws -> Float
}

extension LossHead {
    /// `reference`, checked to be the cache of `batch`'s examples with what this head reads.
    func requireReference(_ reference: ReferenceCache?, for batch: TokenBatch, vocabulary: Int) throws -> ReferenceCache {
        let needs = referenceContents ?? .sequenceLogProbabilities
        guard let reference else { throw ObjectiveError.missingReference(needs: needs) }
        try reference.check(for: batch, vocabulary: vocabulary, needs: needs)
        return reference
    }
}

extension TokenBatch {
    /// V for `count` logits [B·T, V], once every target is checked to lie inside it.
    func vocabularySize(ofLogitCount count: Int) throws -> Int {
        guard count > 0, count % tokenCount == 0 else { throw ObjectiveError.logitsShape(count: count, tokenCount: tokenCount) }
        let vocabulary = count / tokenCount
        try validate(vocabularySize: vocabulary)
        return vocabulary
    }
}
