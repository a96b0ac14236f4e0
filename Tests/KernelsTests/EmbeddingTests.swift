import Kernels
import XCTest

final class EmbeddingTests: KernelTestCase {
    func testForwardCopiesRows() {
        var rng = SeededGenerator(seed: 20)
        let (vocabulary, channels) = (9, 5)
        let table = rng.floats(vocabulary * channels)
        // 150 tokens: more than the 64-row minimum chunk, so 2 and 3 threads split them.
        forEachThreadCount { threads in
            for count in [1, 7, 150] {
                let tokens = rng.int32s(count, in: 0..<Int32(vocabulary))
                var out = [Float](repeating: .nan, count: count * channels)
                embeddingForward(&out, tokens: tokens, table: table, count: count, channels: channels)
                var expected = [Float]()
                for token in tokens { expected += table[Int(token) * channels..<(Int(token) + 1) * channels] }
                XCTAssertEqual(out, expected, "\(count) tokens, \(threads) threads")
            }
        }
    }

    func testBackwardAccumulatesRepeatedTokens() {
        var rng = SeededGenerator(seed: 21)
        let (vocabulary, channels) = (6, 4)
        let tokens: [Int32] = [3, 1, 3, 0, 3, 5, 1]
        let dOut = rng.floats(tokens.count * channels)
        let existing = rng.floats(vocabulary * channels)
        var dTable = existing
        embeddingBackward(dTable: &dTable, dOut: dOut, tokens: tokens, count: tokens.count, channels: channels)
        var expected = existing.map(Double.init)
        for (n, token) in tokens.enumerated() {
            for c in 0..<channels { expected[Int(token) * channels + c] += Double(dOut[n * channels + c]) }
        }
        assertClose(dTable, expected, "dTable")
        // Token 2 and 4 never occur: their rows keep the existing values exactly.
        for token in [2, 4] {
            XCTAssertEqual(Array(dTable[token * channels..<(token + 1) * channels]),
                           Array(existing[token * channels..<(token + 1) * channels]), "unused token \(token)")
        }
    }

    func testBackwardFiniteDifference() {
        var rng = SeededGenerator(seed: 22)
        let (vocabulary, channels) = (7, 3)
        let tokens: [Int32] = [2, 6, 2, 2, 0, 6, 4, 2]
        let table = rng.floats(vocabulary * channels), r = rng.floats(tokens.count * channels)
        let loss = { (table: [Float]) -> Double in
            var out = [Float](repeating: 0, count: tokens.count * channels)
            embeddingForward(&out, tokens: tokens, table: table, count: tokens.count, channels: channels)
            return weightedSum(r, out)
        }
        var dTable = [Float](repeating: 0, count: vocabulary * channels)
        embeddingBackward(dTable: &dTable, dOut: r, tokens: tokens, count: tokens.count, channels: channels)
        checkGradient("embedding dTable", analytic: dTable, of: loss, at: table)
        // Rows of tokens that never occur get exactly zero gradient.
        for token in [1, 3, 5] {
            XCTAssertEqual(Array(dTable[token * channels..<(token + 1) * channels]), [0, 0, 0], "unused token \(token)")
        }
    }
}
