import Foundation

/// How much of each tensor an update may change: the largest `fraction` of its changes from
/// the parent (by magnitude) are kept, every other weight goes back to the parent's value.
///
/// Why: AdamW moves every weight whose gradient is not exactly zero by about the learning rate
/// per step, whatever the gradient's size, so a one-author update changed every matrix of the
/// embedded model by 3–7 % of its norm, and successive updates added up like a random walk
/// (13–34 % after 30 requests). Most of that is noise the forgetting does not need, and it is
/// what costs the authors and facts the update should leave alone: keeping a `lethe forget`
/// update's largest 30 % of changes per tensor still forgot its 20 questions and left 28 % of
/// the loss it had caused on other authors' answers (docs/dipo.md, "Keeping the change sparse").
/// The weights that moved most are the ones the objective pushed the same way step after step.
public struct ChangeDensity: Sendable, Codable, Equatable {
    /// The share of each tensor's weights that may differ from the parent, in (0, 1].
    public var fraction: Double

    public init(fraction: Double) {
        self.fraction = fraction
    }

    /// Changes sampled per tensor to find its threshold: evenly spaced, so the result does not
    /// depend on threads or on a random draw.
    static let thresholdSample = 1 << 16

    /// Sets each weight of `parameters` whose change from `parent` is below the tensor's
    /// threshold back to the parent's: the magnitude that the largest `fraction` of the
    /// changes reach, estimated on evenly spaced samples. Returns how many weights keep a change
    /// (at a fraction of 1, where nothing is trimmed, every weight counts).
    @discardableResult
    public func trim(_ parameters: UnsafeMutableBufferPointer<Float>, parent: UnsafeBufferPointer<Float>) -> Int {
        precondition(parameters.count == parent.count, "a weight per parent weight")
        guard fraction < 1, !parameters.isEmpty else { return parameters.count }
        let step = max(1, parameters.count / Self.thresholdSample)
        var changes = stride(from: 0, to: parameters.count, by: step).map { abs(parameters[$0] - parent[$0]) }
        changes.sort()
        // The threshold is the smallest change among the kept share; a change of 0 is never kept.
        let index = min(changes.count - 1, max(0, Int((Double(changes.count) * (1 - fraction)).rounded(.down))))
        let threshold = max(changes[index], Float.leastNonzeroMagnitude)
        var kept = 0
        for i in 0..<parameters.count {
            if abs(parameters[i] - parent[i]) >= threshold {
                kept += 1
            } else {
                parameters[i] = parent[i]
            }
        }
        return kept
    }
}
