import Model

/// AdamW over only some stretches of the flat parameter buffer, one optimizer (and one pair of
/// moments) per stretch: the rest gets no update at all, not even weight decay. The model is
/// told to train only these stretches, so it holds gradients for them alone and the global
/// norm that clipping sees is the trainable one.
public final class ScopedAdamW {
    public let ranges: [Range<Int>]
    private let optimizers: [AdamW]

    /// Restricts `model`'s training to `ranges`.
    public init(model: LlamaModel, ranges: [Range<Int>], configuration: AdamWConfiguration) {
        self.ranges = ranges
        optimizers = ranges.map { AdamW(parameterCount: $0.count, configuration: configuration) }
        model.restrictTraining(to: ranges)
    }

    /// Clips to `maxGradientNorm` and steps `model`'s parameters at `learningRate`; returns the
    /// trainable gradients' norm before clipping.
    @discardableResult
    public func update(_ model: LlamaModel, maxGradientNorm: Float, learningRate: Double) -> Float {
        precondition(model.gradientMap.ranges == ranges, "the model was told to train other parameters since")
        let norm = model.clipGradients(maxNorm: maxGradientNorm)
        for (range, optimizer) in zip(ranges, optimizers) {
            optimizer.update(parameters: UnsafeMutableBufferPointer(rebasing: model.parameters[range]),
                             gradients: UnsafeBufferPointer(model.gradients(of: range)!), learningRate: learningRate)
        }
        return norm
    }
}
