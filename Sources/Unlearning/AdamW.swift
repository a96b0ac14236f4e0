import Kernels

/// AdamW's hyperparameters; the defaults are `torch.optim.AdamW`'s except the learning rate.
public struct AdamWConfiguration: Sendable, Equatable, Codable {
    public var learningRate: Double
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public var weightDecay: Double = 0.01

    public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// AdamW over a flat parameter buffer with PyTorch's semantics: decoupled weight decay
/// applied before the moment update, bias-corrected first and second moments, and the
/// same order of Float32 operations as `torch.optim.AdamW`, so results agree to rounding.
public final class AdamW {
    public var configuration: AdamWConfiguration
    public private(set) var step = 0
    /// First and second moments, mirroring the parameter buffer.
    public let firstMoment: UnsafeMutableBufferPointer<Float>
    public let secondMoment: UnsafeMutableBufferPointer<Float>

    public init(parameterCount: Int, configuration: AdamWConfiguration) {
        self.configuration = configuration
        firstMoment = .allocate(capacity: parameterCount)
        firstMoment.initialize(repeating: 0)
        secondMoment = .allocate(capacity: parameterCount)
        secondMoment.initialize(repeating: 0)
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    /// Continues from a saved state: the moments must already hold what they held after
    /// `step` updates (bias correction depends on it).
    public func resume(atStep step: Int) {
        precondition(step >= 0, "a step count is never negative")
        self.step = step
    }

    /// One optimizer step over `parameters` (same length as the moments), optionally at a
    /// scheduled learning rate instead of the configured one.
    public func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                       learningRate: Double? = nil) {
        precondition(parameters.count == firstMoment.count && gradients.count == firstMoment.count,
                     "parameters, gradients and moments must have the same length")
        step += 1
        let c = configuration
        let scalars = AdamWStepScalars(learningRate: learningRate ?? c.learningRate, beta1: c.beta1, beta2: c.beta2,
                                       epsilon: c.epsilon, weightDecay: c.weightDecay, step: step)
        adamWStep(parameters: parameters.baseAddress!, gradients: gradients.baseAddress!,
                  firstMoment: firstMoment.baseAddress!, secondMoment: secondMoment.baseAddress!,
                  count: parameters.count, scalars: scalars)
    }
}
