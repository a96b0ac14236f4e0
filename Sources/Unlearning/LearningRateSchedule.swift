import Foundation

/// Linear warmup to the peak rate, then constant, linear or cosine decay to
/// `floorRatio` × peak at the last step.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: String, Sendable, Codable, CaseIterable {
        case constant, linear, cosine
    }

    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var decay: Decay
    public var floorRatio: Double

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, decay: Decay, floorRatio: Double = 0) {
        precondition(warmupSteps >= 0 && totalSteps >= 1, "a schedule has at least one step and no negative warmup")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.decay = decay
        self.floorRatio = floorRatio
    }

    /// The rate of 0-based step `step`.
    public func rate(atStep step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
        guard decay != .constant else { return peak }
        // The first step after warmup runs at the peak and the last at the floor.
        let decaySteps = totalSteps - warmupSteps - 1
        let progress = decaySteps > 0 ? min(1, Double(step - warmupSteps) / Double(decaySteps)) : 1
        let shape = decay == .linear ? 1 - progress : 0.5 * (1 + cos(Double.pi * progress))
        return peak * (floorRatio + (1 - floorRatio) * shape)
    }
}
