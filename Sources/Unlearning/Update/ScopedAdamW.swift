import Model

/// AdamW over only some stretches of the flat parameter buffer, one optimizer (and one pair of
/// moments) per stretch: the rest gets no update at all, not even weight decay. The gradients
/// outside the stretches are zeroed before clipping, so the global norm is the trainable one.
final class ScopedAdamW {
    let ranges: [Range<Int>]
    private let optimizers: [AdamW]

    init(ranges: [Range<Int>], configuration: AdamWConfiguration) {
        self.ranges = ranges
        optimizers = ranges.map { AdamW(parameterCount: $0.count, configuration: configuration) }
    }

    /// Masks, clips to `maxGradientNorm` and steps `model`'s parameters at `learningRate`;
    /// returns the trainable gradients' norm before clipping.
    @discardableResult
    func update(_ model: LlamaModel, maxGradientNorm: Float, learningRate: Double) -> Float {
        let gradients = model.gradients
        var frozenStart = 0
        for range in ranges + [gradients.count..<gradients.count] {
            gradients[frozenStart..<range.lowerBound].update(repeating: 0)
            frozenStart = range.upperBound
        }
        let norm = model.clipGradients(maxNorm: maxGradientNorm)
        for (range, optimizer) in zip(ranges, optimizers) {
            optimizer.update(parameters: UnsafeMutableBufferPointer(rebasing: model.parameters[range]),
                             gradients: UnsafeBufferPointer(rebasing: gradients[range]), learningRate: learningRate)
        }
        return norm
    }
}
