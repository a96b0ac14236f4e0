import Kernels
import XCTest

// Shared helpers for the kernel tests: a seeded RNG, Double-precision reductions, a
// central-difference gradient and the assertions built on them.
//
// Method: for a kernel out = f(x) and a fixed random r, take L = Σ r ⊙ out (summed in
// Double), so ∂L/∂out = r and the backward kernel fed dOut = r must return ∂L/∂x. The
// numeric gradient is (L(x + h) − L(x − h)) / (x₊ − x₋), with the forward evaluated in
// Float32 and the denominator the step actually taken after rounding x ± h to Float.

// MARK: - Random numbers

/// SplitMix64: small, fast and reproducible across platforms and runs.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` floats drawn uniformly from `range`.
    mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }

    /// `count` Int32s drawn uniformly from `range`.
    mutating func int32s(_ count: Int, in range: Range<Int32>) -> [Int32] {
        (0..<count).map { _ in Int32.random(in: range, using: &self) }
    }
}

// MARK: - Double-precision reductions

/// Σ r ⊙ out, accumulated in Double: the scalar loss whose gradient w.r.t. `out` is `r`.
func weightedSum(_ r: [Float], _ out: [Float]) -> Double {
    precondition(r.count == out.count, "weightedSum: \(r.count) weights for \(out.count) outputs")
    var sum = 0.0
    for i in r.indices { sum += Double(r[i]) * Double(out[i]) }
    return sum
}

func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
func norm(_ v: [Float]) -> Double { norm(v.map(Double.init)) }

/// ‖a − b‖ / max(‖a‖, ‖b‖), and 0 when both are exactly zero.
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "relativeError: \(a.count) vs \(b.count) elements")
    var difference = 0.0
    for i in a.indices { difference += (Double(a[i]) - b[i]) * (Double(a[i]) - b[i]) }
    let scale = max(norm(a), norm(b))
    return scale == 0 ? 0 : difference.squareRoot() / scale
}

// MARK: - Finite differences

/// Central-difference gradient of `loss` at `x`, for every element (or only `indices`;
/// the others are left 0). `loss` receives a perturbed copy of `x`.
func numericGradient(
    of loss: ([Float]) -> Double, at x: [Float], step: Float = 1e-2, indices: [Int]? = nil
) -> [Double] {
    var gradient = [Double](repeating: 0, count: x.count)
    var probe = x
    for i in indices ?? Array(x.indices) {
        let plus = x[i] + step, minus = x[i] - step
        probe[i] = plus
        let lossPlus = loss(probe)
        probe[i] = minus
        let lossMinus = loss(probe)
        probe[i] = x[i]
        gradient[i] = (lossPlus - lossMinus) / (Double(plus) - Double(minus))
    }
    return gradient
}

/// Asserts that an analytic gradient matches the central-difference gradient of `loss`
/// at `x` within `tolerance` relative error. With h = 1e-2 and O(1) values the kernels
/// measure 1e-6…6e-5, so the default 1e-3 leaves a margin of 20× and still catches
/// a gradient that is off by a fraction of a percent. The numeric gradient must not vanish, so a
/// kernel returning zeros cannot pass against a loss that ignores its input. Returns the error.
@discardableResult
func checkGradient(
    _ name: String, analytic: [Float], of loss: ([Float]) -> Double, at x: [Float],
    step: Float = 1e-2, tolerance: Double = 1e-3, indices: [Int]? = nil,
    file: StaticString = #filePath, line: UInt = #line
) -> Double {
    XCTAssertEqual(analytic.count, x.count, "\(name): gradient has the wrong size", file: file, line: line)
    guard analytic.count == x.count else { return .infinity }
    let numeric = numericGradient(of: loss, at: x, step: step, indices: indices)
    let compared = indices ?? Array(x.indices)
    let a = compared.map { analytic[$0] }, n = compared.map { numeric[$0] }
    XCTAssertGreaterThan(norm(n), 1e-3, "\(name): numeric gradient vanishes; the check would be vacuous", file: file, line: line)
    XCTAssertFalse(a.contains { !$0.isFinite }, "\(name): analytic gradient is not finite", file: file, line: line)
    let error = relativeError(a, n)
    XCTAssertLessThan(error, tolerance, "\(name): relative error \(error) between analytic and numeric gradient", file: file, line: line)
    return error
}

// MARK: - Comparisons

/// Element-wise |actual − expected| ≤ absolute + relative·|expected|; reports the worst element.
func assertClose(
    _ actual: [Float], _ expected: [Double], absolute: Double = 1e-5, relative: Double = 1e-5,
    _ name: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(name): size", file: file, line: line)
    guard actual.count == expected.count else { return }
    var worst = -1, worstExcess = 0.0
    for i in actual.indices {
        let allowed = absolute + relative * abs(expected[i])
        let excess = abs(Double(actual[i]) - expected[i]) - allowed
        if !(excess <= 0), worst < 0 || !(excess <= worstExcess) {
            worst = i
            worstExcess = excess
        }
    }
    if worst >= 0 {
        XCTFail("\(name): element \(worst) is \(actual[worst]), expected \(expected[worst])", file: file, line: line)
    }
}

func assertClose(
    _ actual: [Float], _ expected: [Float], absolute: Double = 1e-5, relative: Double = 1e-5,
    _ name: String, file: StaticString = #filePath, line: UInt = #line
) {
    assertClose(actual, expected.map(Double.init), absolute: absolute, relative: relative, name, file: file, line: line)
}

// MARK: - Test case base

/// Restores the global worker-thread count after every test, so a test that changes it
/// cannot leak into the next one.
class KernelTestCase: XCTestCase {
    private var savedThreadCount = 1

    override func setUp() {
        super.setUp()
        savedThreadCount = Parallelism.threadCount
    }

    override func tearDown() {
        Parallelism.setThreadCount(savedThreadCount)
        super.tearDown()
    }

    /// Runs `body` once for each thread count (pass the count into assertion messages).
    func forEachThreadCount(_ counts: [Int] = [1, 2, 3], _ body: (Int) throws -> Void) rethrows {
        for count in counts {
            Parallelism.setThreadCount(count)
            try body(count)
        }
    }
}

// MARK: - The checker itself

/// The checker must accept a right gradient and reject a wrong one, or every test built on
/// it proves nothing.
final class FiniteDifferenceTests: XCTestCase {
    /// L(x) = Σ r_i · x_i² · x_{(i+1) mod n}, a polynomial with a known gradient.
    private func polynomialLoss(_ r: [Float]) -> ([Float]) -> Double {
        { x in
            var sum = 0.0
            for i in x.indices {
                let a = Double(x[i]), b = Double(x[(i + 1) % x.count])
                sum += Double(r[i]) * a * a * b
            }
            return sum
        }
    }

    private func polynomialGradient(_ r: [Float], _ x: [Float]) -> [Float] {
        let n = x.count
        return (0..<n).map { i in
            let previous = (i + n - 1) % n
            return Float(2 * Double(r[i]) * Double(x[i]) * Double(x[(i + 1) % n])
                + Double(r[previous]) * Double(x[previous]) * Double(x[previous]))
        }
    }

    func testAcceptsTheRightGradient() {
        var rng = SeededGenerator(seed: 1)
        let x = rng.floats(20), r = rng.floats(20)
        let error = checkGradient("polynomial", analytic: polynomialGradient(r, x), of: polynomialLoss(r), at: x)
        XCTAssertLessThan(error, 1e-3)
    }

    func testRejectsWrongGradients() {
        var rng = SeededGenerator(seed: 2)
        let x = rng.floats(20), r = rng.floats(20)
        let right = polynomialGradient(r, x)
        let numeric = numericGradient(of: polynomialLoss(r), at: x)
        let scaled = right.map { $0 * 1.1 }
        var oneEntryWrong = right
        oneEntryWrong[7] += 0.5
        let shifted = Array(right[1...] + right[..<1])
        for (name, wrong) in [("scaled", scaled), ("one entry", oneEntryWrong), ("shifted", shifted)] {
            XCTAssertGreaterThan(relativeError(wrong, numeric), 1e-2, name)
        }
    }

    func testSeededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = a.floats(8)
        XCTAssertEqual(first, b.floats(8))
        XCTAssertNotEqual(first, c.floats(8))
        XCTAssertTrue(first.allSatisfy { (-1...1).contains($0) })
    }
}
