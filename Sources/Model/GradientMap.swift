/// Which stretches of the flat parameter buffer train, and where each one's gradients sit in
/// the gradient buffer: the stretches back to back, in order. Frozen parameters have no
/// gradient memory at all; when every parameter trains, the gradient buffer mirrors the
/// parameter buffer offset for offset.
public struct GradientMap: Sendable, Equatable {
    /// The trainable stretches of the parameter buffer, sorted, adjacent ones merged.
    public let ranges: [Range<Int>]
    /// Where each stretch starts in the gradient buffer.
    public let offsets: [Int]
    /// Gradients held: the trainable parameters' count.
    public let count: Int

    /// `ranges` must be sorted, disjoint and inside a buffer of `parameterCount` floats.
    public init(ranges: [Range<Int>], parameterCount: Int) {
        var merged: [Range<Int>] = []
        for range in ranges where !range.isEmpty {
            precondition(range.lowerBound >= (merged.last?.upperBound ?? 0) && range.upperBound <= parameterCount,
                         "trainable ranges must be sorted, disjoint and inside the parameter buffer")
            if let last = merged.last, last.upperBound == range.lowerBound {
                merged[merged.count - 1] = last.lowerBound..<range.upperBound
            } else {
                merged.append(range)
            }
        }
        var offsets: [Int] = [], count = 0
        for range in merged {
            offsets.append(count)
            count += range.count
        }
        self.ranges = merged
        self.offsets = offsets
        self.count = count
    }

    /// Every parameter of a buffer of `parameterCount` floats trains.
    public static func all(parameterCount: Int) -> GradientMap {
        GradientMap(ranges: [0..<parameterCount], parameterCount: parameterCount)
    }

    /// Where the gradients of `parameters` start in the gradient buffer; nil when they are
    /// frozen. A tensor (or fused block) trains whole or not at all.
    public func gradientOffset(of parameters: Range<Int>) -> Int? {
        for (range, offset) in zip(ranges, offsets) where range.overlaps(parameters) {
            precondition(range.contains(parameters.lowerBound) && parameters.upperBound <= range.upperBound,
                         "parameters \(parameters) are partly trainable")
            return offset + parameters.lowerBound - range.lowerBound
        }
        return nil
    }

    /// Whether any parameter of `parameters` trains.
    public func trainsAny(of parameters: Range<Int>) -> Bool {
        ranges.contains { $0.overlaps(parameters) }
    }
}
