import Model

/// The draws the corpus generator makes, done with Lethe's own arithmetic instead of the
/// standard library's `random(in:using:)` and `shuffled(using:)`, whose algorithms may
/// change between Swift releases: a seed must mean the same corpus on every toolchain.
extension SeededGenerator {
    /// A uniform index in `0..<count` (multiply-shift; the bias is below count / 2⁶⁴).
    mutating func index(below count: Int) -> Int {
        precondition(count > 0, "cannot draw from an empty range")
        return Int(UInt64(count).multipliedFullWidth(by: next()).high)
    }

    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + index(below: range.count)
    }

    mutating func element<Element>(of elements: [Element]) -> Element {
        elements[index(below: elements.count)]
    }

    /// An element that is none of `excluded`, for drawing a wrong fact of the right kind.
    mutating func element<Element: Equatable>(of elements: [Element], excluding excluded: [Element]) -> Element {
        element(of: elements.filter { !excluded.contains($0) })
    }

    /// `count` distinct positions of `elements`, in the order drawn (a partial Fisher–Yates shuffle).
    mutating func sample<Element>(_ count: Int, of elements: [Element]) -> [Element] {
        precondition(count <= elements.count, "cannot sample \(count) of \(elements.count) elements")
        var pool = elements
        for position in 0..<count {
            pool.swapAt(position, position + index(below: pool.count - position))
        }
        return Array(pool.prefix(count))
    }

    /// True with probability `percent` / 100.
    mutating func chance(percent: Int) -> Bool {
        index(below: 100) < percent
    }
}
