import Kernels
import XCTest

final class ReductionTests: KernelTestCase {
    /// Counts that do not divide evenly by the thread count, including counts smaller than
    /// it (the last threads' slices are empty) and 0.
    func testSumOfSquaresMatchesNaive() {
        var rng = SeededGenerator(seed: 100)
        forEachThreadCount([1, 2, 3, 4, 7]) { threads in
            for count in [0, 1, 2, 5, 6, 7, 13, 1000] {
                let x = rng.floats(count, in: -3...3)
                let expected = x.reduce(0.0) { $0 + Double($1) * Double($1) }
                let sum = x.withUnsafeBufferPointer { sumOfSquares($0.baseAddress!, count: count) }
                XCTAssertEqual(sum, expected, accuracy: 1e-6 * max(1, expected), "\(count) elements, \(threads) threads")
            }
        }
    }

    func testScale() {
        var rng = SeededGenerator(seed: 101)
        forEachThreadCount([1, 3]) { threads in
            // 140 000 elements: above the 65 536-element minimum chunk, so the work is split.
            for count in [0, 3, 140_000] {
                let x = rng.floats(count)
                var scaled = x
                scale(&scaled, count: count, by: -0.375)
                XCTAssertEqual(scaled, x.map { $0 * -0.375 }, "\(count) elements, \(threads) threads")
            }
        }
    }
}
