import Kernels
import XCTest

final class ResidualTests: KernelTestCase {
    func testForwardIsElementwiseSum() {
        var rng = SeededGenerator(seed: 90)
        // 10 000 elements: above the 4096-element minimum chunk, so 2 and 3 threads split them.
        forEachThreadCount { threads in
            for count in [1, 10, 10_000] {
                let a = rng.floats(count), b = rng.floats(count)
                var out = [Float](repeating: .nan, count: count)
                residualForward(&out, a, b, count: count)
                XCTAssertEqual(out, zip(a, b).map { $0 + $1 }, "\(count) elements, \(threads) threads")
            }
        }
    }

    /// The model adds each branch into the residual stream in place: out aliases a.
    func testForwardInPlace() {
        var rng = SeededGenerator(seed: 91)
        Parallelism.setThreadCount(2)
        let count = 10_000
        let a = rng.floats(count), b = rng.floats(count)
        let stream = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { stream.deallocate() }
        stream.initialize(from: a, count: count)
        residualForward(stream, stream, b, count: count)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: stream, count: count)), zip(a, b).map { $0 + $1 })
    }

    /// The backward is the identity on both inputs: ∂(Σ r ⊙ (a + b))/∂a = ∂/∂b = r.
    func testGradientIsIdentityOnBothInputs() {
        var rng = SeededGenerator(seed: 92)
        let count = 24
        let a = rng.floats(count), b = rng.floats(count), r = rng.floats(count)
        func loss(_ a: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: count)
            residualForward(&out, a, b, count: count)
            return weightedSum(r, out)
        }
        checkGradient("residual da", analytic: r, of: { loss($0, b) }, at: a)
        checkGradient("residual db", analytic: r, of: { loss(a, $0) }, at: b)
    }
}
