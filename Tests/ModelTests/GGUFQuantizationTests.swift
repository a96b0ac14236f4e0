import Foundation
@testable import Model
import XCTest

/// The quantisers of the GGUF writer: their bytes against llama.cpp's own for the same rows
/// (Tests/Fixtures/make_gguf_quantization_fixtures.py), their round-trip error against each
/// type's bound, and the rounding of the 16-bit float types.
final class GGUFQuantizationTests: XCTestCase {
    private static let rowLength = 512

    func testEncodingsAreTheBytesLlamaCppWritesForTheSameRows() throws {
        let fixture = try GGUFFile(bytes: GGUFFixtures.decompressed("quantization.gguf.zst"), name: "quantization.gguf")
        let input = try fixture.floats(of: try XCTUnwrap(fixture.tensor(named: "input")))
        for type in [GGMLType.f16, .bf16, .q8_0, .q4_0, .q5_0, .q4_K, .q6_K] {
            let stored = try XCTUnwrap(fixture.tensor(named: type.name))
            XCTAssertEqual(stored.type, type)
            let expected = Array(fixture.data(of: stored))
            let encoded = input.withUnsafeBufferPointer { GGUFQuantize.encode($0, rowLength: Self.rowLength, as: type) }
            XCTAssertEqual(encoded.count, expected.count, type.name)
            // Integer work and the same float operations in the same order: every block is
            // llama.cpp's, byte for byte.
            let blocks = expected.count / type.blockByteCount
            let differing = (0..<blocks).filter { block in
                let range = block * type.blockByteCount..<(block + 1) * type.blockByteCount
                return encoded[range] != expected[range]
            }
            XCTAssertEqual(differing, [], "\(type.name): blocks that differ from llama.cpp's")
        }
    }

    /// Random weight-like rows (a few large outliers), quantised and restored.
    private func roundTrip(_ type: GGMLType) -> (values: [Float], restored: [Float]) {
        var generator = SeededGenerator(seed: 15)
        var values = (0..<64 * Self.rowLength).map { _ in 0.02 * generator.nextGaussian() }
        for i in stride(from: 5, to: values.count, by: 997) { values[i] *= 30 }
        var restored = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { input in
            restored.withUnsafeMutableBufferPointer { output in
                GGUFQuantize.roundTrip(input.baseAddress!, count: values.count, rowLength: Self.rowLength, as: type, into: output.baseAddress!)
            }
        }
        return (values, restored)
    }

    func testRoundTripErrorStaysWithinEachTypesStep() throws {
        // The largest error in a block, as a fraction of the block's largest magnitude: half a
        // step of Q8_0's 127 levels; a whole step of Q4_0's and Q5_0's (the side opposite the
        // largest value has one level less); for the K-quants, whose sub-block scales are
        // themselves quantised against the super-block's, a bound over the 256-value
        // super-block. Each plus the binary16 rounding of the scale.
        let bounds: [(GGMLType, Int, Float)] = [(.q8_0, 32, 0.5 / 127), (.q4_0, 32, 1.0 / 8), (.q5_0, 32, 1.0 / 16),
                                                (.q6_K, 256, 1.0 / 64), (.q4_K, 256, 1.0 / 8)]
        for (type, blockSize, fraction) in bounds {
            let (values, restored) = roundTrip(type)
            var worstRatio: Float = 0
            for block in 0..<values.count / blockSize {
                let range = block * blockSize..<(block + 1) * blockSize
                let largest = values[range].map(abs).max()!
                let worst = range.map { abs(values[$0] - restored[$0]) }.max()!
                worstRatio = max(worstRatio, worst / largest)
            }
            XCTAssertLessThanOrEqual(worstRatio, fraction + 0x1p-10, "\(type.name): largest error over the block's largest magnitude")
        }
    }

    func testMoreBitsGiveSmallerErrors() throws {
        func rootMeanSquareError(_ type: GGMLType) -> Float {
            let (values, restored) = roundTrip(type)
            return (zip(values, restored).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(values.count)).squareRoot()
        }
        let errors = [GGMLType.q4_0, .q4_K, .q5_0, .q6_K, .q8_0].map(rootMeanSquareError)
        XCTAssertEqual(errors, errors.sorted(by: >), "root-mean-square errors of Q4_0, Q4_K, Q5_0, Q6_K, Q8_0")
        XCTAssertLessThan(errors.last!, 0.02 * 0.02, "Q8_0 keeps weights within 2% of their deviation")
    }

    func testANonFiniteValueIsEncodedWithoutATrap() {
        // A diverged update can leave NaNs; the served-format gate must still get an answer.
        var values = [Float](repeating: 0.01, count: 256)
        values[3] = .nan
        values[200] = .infinity
        for type in [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q5_0, .q4_K, .q6_K] {
            let bytes = values.withUnsafeBufferPointer { GGUFQuantize.encode($0, rowLength: 256, as: type) }
            XCTAssertEqual(bytes.count, 256 / type.blockSize * type.blockByteCount, type.name)
        }
    }

    func testHalfPrecisionRoundsToNearestEven() {
        XCTAssertEqual(halfBits(1), 0x3C00)
        XCTAssertEqual(halfBits(1 + 0x1p-11), 0x3C00, "a tie goes to the even neighbour")
        XCTAssertEqual(halfBits(1 + 3 * 0x1p-11), 0x3C02, "a tie goes to the even neighbour")
        XCTAssertEqual(halfBits(1 + 0x1p-11 + 0x1p-20), 0x3C01, "past the tie rounds up")
        XCTAssertEqual(halfBits(65519), 0x7BFF)
        XCTAssertEqual(halfBits(65520), 0x7C00, "past the largest half rounds to infinity")
        XCTAssertEqual(halfBits(-.infinity), 0xFC00)
        XCTAssertEqual(halfBits(0x1p-14), 0x0400, "the smallest normal")
        XCTAssertEqual(halfBits(0x1p-24), 0x0001, "the smallest subnormal")
        XCTAssertEqual(halfBits(0x1p-25), 0x0000, "half the smallest subnormal ties to zero")
        XCTAssertEqual(halfBits(1.5 * 0x1p-25), 0x0001)
        XCTAssertEqual(halfBits(-0.0), 0x8000)
        XCTAssertTrue(floatFromHalfBits(halfBits(.nan)).isNaN)
        for bits in UInt16.min...UInt16.max where !floatFromHalfBits(bits).isNaN {
            XCTAssertEqual(halfBits(floatFromHalfBits(bits)), bits, "every half survives widening and narrowing")
        }
    }

    func testBFloat16RoundsToNearestEven() {
        XCTAssertEqual(bfloat16Bits(1), 0x3F80)
        XCTAssertEqual(bfloat16Bits(1 + 0x1p-8), 0x3F80, "a tie goes to the even neighbour")
        XCTAssertEqual(bfloat16Bits(1 + 3 * 0x1p-8), 0x3F82, "a tie goes to the even neighbour")
        XCTAssertEqual(bfloat16Bits(-2), 0xC000)
        XCTAssertTrue(floatFromBFloat16Bits(bfloat16Bits(.nan)).isNaN)
    }
}
