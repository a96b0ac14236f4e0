import Model

/// Gradient ascent on forget examples: L = −(mean next-token NLL over the response positions),
/// the same normalisation as the retain NLL. GradDiff is this head on the forget batch plus
/// `NegativeLogLikelihood` at scale α on the retain batch.
public struct GradientAscent: LossHead, Codable, Equatable {
    public init() {}

    public var referenceContents: ReferenceCache.Contents? { nil }

    public func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                                reference: ReferenceCache?, scale: Float) throws -> Float {
        -(try NegativeLogLikelihood().lossAndGradient(logits: logits, batch: batch, reference: nil, scale: -scale))
    }
}
