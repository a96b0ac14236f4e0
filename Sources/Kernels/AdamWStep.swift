import Foundation

// One AdamW step over a flat buffer, in the order of operations of `torch.optim.AdamW`:
//   p ← p·(1 − lr·wd);  m ← m + (1 − β₁)(g − m);  v ← β₂·v + (1 − β₂)·g²
//   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

/// The step's scalars, computed once per step (in Double, then rounded, as PyTorch does).
public struct AdamWStepScalars: Sendable {
    public let decay: Float, oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float
    public let stepSize: Float, biasCorrection2Root: Float, epsilon: Float

    public init(learningRate lr: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, step: Int) {
        decay = Float(1 - lr * weightDecay)
        oneMinusBeta1 = Float(1 - beta1)
        self.beta2 = Float(beta2)
        oneMinusBeta2 = Float(1 - beta2)
        stepSize = Float(lr / (1 - pow(beta1, Double(step))))
        biasCorrection2Root = Float((1 - pow(beta2, Double(step))).squareRoot())
        self.epsilon = Float(epsilon)
    }
}

public func adamWStep(
    parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
    firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
    count: Int, scalars s: AdamWStepScalars
) {
    Parallelism.forEachChunk(of: count, minimumChunk: 1 << 16) { chunk in
        for i in chunk {
            p[i] *= s.decay
            m[i] += (g[i] - m[i]) * s.oneMinusBeta1
            v[i] = v[i] * s.beta2 + s.oneMinusBeta2 * (g[i] * g[i])
            p[i] += -s.stepSize * (m[i] / (v[i].squareRoot() / s.biasCorrection2Root + s.epsilon))
        }
    }
}
