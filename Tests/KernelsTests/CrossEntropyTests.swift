import Kernels
import XCTest

/// logsumexp(z) − z[target] per row in Double (0 for ignored rows), each row's logsumexp,
/// and the number of counted rows.
private func naiveCrossEntropy(
    _ logits: [Float], targets: [Int32], rows: Int, vocabulary: Int
) -> (losses: [Double], logSumExp: [Double], counted: Int) {
    var losses = [Double](repeating: 0, count: rows), lse = [Double](repeating: 0, count: rows)
    for n in 0..<rows {
        let z = logits[n * vocabulary..<(n + 1) * vocabulary].map(Double.init)
        let maximum = z.max()!
        lse[n] = maximum + log(z.reduce(0) { $0 + exp($1 - maximum) })
        if targets[n] != -100 { losses[n] = lse[n] - z[Int(targets[n])] }
    }
    return (losses, lse, targets.filter { $0 != -100 }.count)
}

final class CrossEntropyTests: KernelTestCase {
    private func forward(
        _ logits: [Float], targets: [Int32], rows: Int, vocabulary: Int
    ) -> (losses: [Float], logSumExp: [Float], counted: Int) {
        var losses = [Float](repeating: .nan, count: rows), lse = [Float](repeating: .nan, count: rows)
        let counted = crossEntropyForward(losses: &losses, logSumExp: &lse, logits: logits, targets: targets,
                                          rows: rows, vocabulary: vocabulary)
        return (losses, lse, counted)
    }

    /// Rows with random targets, every third one ignored.
    private func targets(_ rows: Int, _ vocabulary: Int, _ rng: inout SeededGenerator) -> [Int32] {
        (0..<rows).map { $0 % 3 == 1 ? ignoreIndex : Int32.random(in: 0..<Int32(vocabulary), using: &rng) }
    }

    func testIgnoreIndexIsPyTorchDefault() {
        XCTAssertEqual(ignoreIndex, -100)
    }

    func testForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 80)
        // 20 rows: above the 8-row minimum chunk, so 2 and 3 threads split them.
        forEachThreadCount { threads in
            for vocabulary in [7, 8, 19] { // below, at and above the 8-lane vector width
                let rows = 20
                let logits = rng.floats(rows * vocabulary, in: -3...3), targets = targets(rows, vocabulary, &rng)
                let (losses, lse, counted) = forward(logits, targets: targets, rows: rows, vocabulary: vocabulary)
                let expected = naiveCrossEntropy(logits, targets: targets, rows: rows, vocabulary: vocabulary)
                let label = "V=\(vocabulary), \(threads) threads"
                XCTAssertEqual(counted, expected.counted, "counted, " + label)
                XCTAssertEqual(counted, 13, "every third of 20 rows ignored")
                assertClose(losses, expected.losses, "losses, " + label)
                assertClose(lse, expected.logSumExp, "logsumexp, " + label)
                for n in 0..<rows where targets[n] == ignoreIndex { XCTAssertEqual(losses[n], 0, "ignored row \(n)") }
            }
        }
    }

    func testLargeLogitsAreStable() {
        let logits: [Float] = [1000, 1001, 999, -1000, 3, 2, 1, 0]
        let targets: [Int32] = [1, 0]
        let (losses, lse, counted) = forward(logits, targets: targets, rows: 2, vocabulary: 4)
        XCTAssertEqual(counted, 2)
        let expected = naiveCrossEntropy(logits, targets: targets, rows: 2, vocabulary: 4)
        assertClose(losses, expected.losses, absolute: 2e-4, "large losses (Float ulp at 1000 is 6e-5)")
        assertClose(lse, expected.logSumExp, relative: 1e-6, "large logsumexp")
    }

    func testAllRowsIgnored() {
        let logits: [Float] = [1, 2, 3, 4, 5, 6]
        let (losses, _, counted) = forward(logits, targets: [ignoreIndex, ignoreIndex], rows: 2, vocabulary: 3)
        XCTAssertEqual(counted, 0)
        XCTAssertEqual(losses, [0, 0])
    }

    /// L = (1/counted) · Σ losses: the backward (scale 1/counted) against central differences
    /// of the forward, with ignored rows getting exactly zero gradient.
    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 81)
        forEachThreadCount([1, 2]) { threads in
            let (rows, vocabulary) = (20, 11)
            let logits = rng.floats(rows * vocabulary, in: -2...2), targets = targets(rows, vocabulary, &rng)
            let (_, lse, counted) = forward(logits, targets: targets, rows: rows, vocabulary: vocabulary)
            let scale = 1 / Float(counted)
            var gradient = logits
            crossEntropyBackward(logitsToGradient: &gradient, logSumExp: lse, targets: targets,
                                 rows: rows, vocabulary: vocabulary, scale: scale)
            let loss = { (logits: [Float]) -> Double in
                let losses = self.forward(logits, targets: targets, rows: rows, vocabulary: vocabulary).losses
                return losses.reduce(0.0) { $0 + Double($1) } / Double(counted)
            }
            checkGradient("cross-entropy dLogits, \(threads) threads", analytic: gradient, of: loss, at: logits)
            for n in 0..<rows {
                let row = Array(gradient[n * vocabulary..<(n + 1) * vocabulary])
                if targets[n] == ignoreIndex {
                    XCTAssertEqual(row, [Float](repeating: 0, count: vocabulary), "ignored row \(n)")
                } else {
                    // scale · (softmax − onehot) sums to zero over the vocabulary.
                    XCTAssertEqual(row.reduce(0.0) { $0 + Double($1) }, 0, accuracy: 1e-6, "row \(n) sums to 0")
                    XCTAssertLessThan(row[Int(targets[n])], 0, "target logit of row \(n) is pushed up")
                }
            }
        }
    }

    /// The gradient is scale · (softmax − onehot) exactly, so a different scale scales it.
    func testBackwardScale() {
        var rng = SeededGenerator(seed: 82)
        let (rows, vocabulary) = (4, 5)
        let logits = rng.floats(rows * vocabulary), targets: [Int32] = [0, 4, ignoreIndex, 2]
        let (_, lse, _) = forward(logits, targets: targets, rows: rows, vocabulary: vocabulary)
        var expected = [Double](repeating: 0, count: rows * vocabulary)
        for n in 0..<rows where targets[n] != ignoreIndex {
            for v in 0..<vocabulary {
                let p = exp(Double(logits[n * vocabulary + v])) / (0..<vocabulary).reduce(0.0) { $0 + exp(Double(logits[n * vocabulary + $1])) }
                expected[n * vocabulary + v] = 0.25 * (p - (v == Int(targets[n]) ? 1 : 0))
            }
        }
        var gradient = logits
        crossEntropyBackward(logitsToGradient: &gradient, logSumExp: lse, targets: targets,
                             rows: rows, vocabulary: vocabulary, scale: 0.25)
        assertClose(gradient, expected, "scale 0.25")
    }
}
