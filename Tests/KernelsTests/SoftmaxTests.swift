import Kernels
import XCTest

/// Softmax over the allowed entries of s[0..<length] in Double; every other entry is 0.
private func naiveMaskedSoftmax(_ s: [Float], length: Int, allowed: [Bool]) -> [Double] {
    let kept = (0..<length).filter { allowed[$0] }
    var p = [Double](repeating: 0, count: s.count)
    guard let maximum = kept.map({ Double(s[$0]) }).max() else { return p }
    let sum = kept.reduce(0.0) { $0 + exp(Double(s[$1]) - maximum) }
    for j in kept { p[j] = exp(Double(s[j]) - maximum) / sum }
    return p
}

final class SoftmaxTests: XCTestCase {
    private func softmax(_ s: [Float], length: Int, allowed: [Bool]) -> [Float] {
        var row = s
        maskedSoftmaxForward(&row, length: length, width: s.count, allowed: allowed)
        return row
    }

    /// Widths below, at and above the 8-lane vector width, with a ragged tail.
    func testForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 50)
        for width in [7, 8, 19] {
            let masks: [[Bool]] = [
                Array(repeating: true, count: width),
                (0..<width).map { $0 % 3 != 1 },
                (0..<width).map { $0 == 3 },
                (0..<width).map { _ in Bool.random(using: &rng) },
            ]
            for allowed in masks {
                for length in 1...width {
                    let s = rng.floats(width, in: -3...3)
                    let p = softmax(s, length: length, allowed: allowed)
                    let expected = naiveMaskedSoftmax(s, length: length, allowed: allowed)
                    assertClose(p, expected, "width \(width), length \(length), mask \(allowed)")
                    if (0..<length).contains(where: { allowed[$0] }) {
                        XCTAssertEqual(p.reduce(0.0) { $0 + Double($1) }, 1, accuracy: 1e-6, "sums to one")
                    }
                    for j in 0..<width where j >= length || !allowed[j] {
                        XCTAssertEqual(p[j], 0, "entry \(j) is masked (width \(width), length \(length))")
                    }
                }
            }
        }
    }

    /// Allowed entries past `length` do not count; a row with no allowed entry in range is all zeros.
    func testFullyMaskedRowIsZero() {
        let s: [Float] = [0.5, -1, 2, 3, 4]
        let none = softmax(s, length: 3, allowed: [false, false, false, true, true])
        XCTAssertEqual(none, [0, 0, 0, 0, 0])
        XCTAssertEqual(softmax(s, length: 0, allowed: [true, true, true, true, true]), [0, 0, 0, 0, 0])
        // The zeros also carry no gradient.
        var dRow: [Float] = [1, 2, 3, 4, 5]
        softmaxBackward(&dRow, probabilities: none, width: 5)
        XCTAssertEqual(dRow, [0, 0, 0, 0, 0])
    }

    func testLargeScoresAreStable() {
        let s: [Float] = [1000, 1001, -1000, 999, 1002]
        let p = softmax(s, length: 5, allowed: [true, true, true, true, true])
        XCTAssertTrue(p.allSatisfy(\.isFinite))
        assertClose(p, naiveMaskedSoftmax(s, length: 5, allowed: [true, true, true, true, true]), "large scores")
    }

    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 51)
        for (width, length, allowed) in [
            (8, 8, Array(repeating: true, count: 8)),
            (8, 6, [true, false, true, true, true, false, true, true]),
            (13, 11, (0..<13).map { $0 % 4 != 2 }),
        ] {
            let s = rng.floats(width, in: -2...2), r = rng.floats(width)
            let p = softmax(s, length: length, allowed: allowed)
            var dRow = r
            softmaxBackward(&dRow, probabilities: p, width: width)
            checkGradient("softmax length \(length)", analytic: dRow,
                          of: { weightedSum(r, self.softmax($0, length: length, allowed: allowed)) }, at: s)
            for j in 0..<width where j >= length || !allowed[j] {
                XCTAssertEqual(dRow[j], 0, "masked entry \(j) gets no gradient")
            }
        }
    }
}
