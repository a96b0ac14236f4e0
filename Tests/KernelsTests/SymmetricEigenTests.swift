import Kernels
import XCTest

/// LAPACK's eigen-solver as wrapped, and the Gram accumulation the retain projection builds on.
final class SymmetricEigenTests: XCTestCase {
    private func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<rows * columns).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    func testTheGramMatrixIsXTransposeXAndAccumulates() {
        let rows = 7, width = 5
        let x = randomMatrix(rows: rows, columns: width, seed: 1)
        var sums = [Float](repeating: 0, count: width * width)
        sums.withUnsafeMutableBufferPointer { s in
            gramAccumulate(s.baseAddress!, rows: x, count: rows, width: width)
            gramAccumulate(s.baseAddress!, rows: x, count: rows, width: width)
            mirrorUpperTriangle(s.baseAddress!, width: width)
        }
        for i in 0..<width {
            for j in 0..<width {
                let expected = 2 * (0..<rows).reduce(0.0) { $0 + Double(x[$1 * width + i]) * Double(x[$1 * width + j]) }
                XCTAssertEqual(Double(sums[i * width + j]), expected, accuracy: 1e-4, "(\(i), \(j))")
            }
        }
    }

    func testTheDecompositionRebuildsTheMatrixWithOrthonormalVectorsAndAscendingValues() throws {
        let width = 12
        let a = randomMatrix(rows: width, columns: width, seed: 2)
        let symmetric = (0..<width * width).map { k in (a[k] + a[(k % width) * width + k / width]) / 2 }
        let eigen = try XCTUnwrap(SymmetricEigen(symmetric, width: width))
        XCTAssertEqual(eigen.values, eigen.values.sorted())
        XCTAssertGreaterThan(eigen.values.last! - eigen.values.first!, 1, "a spread of values, not a degenerate case")
        for i in 0..<width {
            for j in 0..<width {
                let rebuilt = (0..<width).reduce(0.0) { sum, k in
                    sum + Double(eigen.values[k]) * Double(eigen.vectors[k * width + i]) * Double(eigen.vectors[k * width + j])
                }
                XCTAssertEqual(rebuilt, Double(symmetric[i * width + j]), accuracy: 1e-4, "(\(i), \(j))")
                let dot = (0..<width).reduce(0.0) { $0 + Double(eigen.vectors[i * width + $1]) * Double(eigen.vectors[j * width + $1]) }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-4)
            }
        }
    }

    func testAKnownSpectrum() throws {
        // diag(3, 1) rotated by 45°: eigenvalues 1 and 3, eigenvectors (1, -1)/√2 and (1, 1)/√2.
        let eigen = try XCTUnwrap(SymmetricEigen([2, 1, 1, 2], width: 2))
        XCTAssertEqual(eigen.values[0], 1, accuracy: 1e-5)
        XCTAssertEqual(eigen.values[1], 3, accuracy: 1e-5)
        XCTAssertEqual(abs(eigen.vectors[2] - eigen.vectors[3]), 0, accuracy: 1e-5)
        XCTAssertEqual(abs(eigen.vectors[0] + eigen.vectors[1]), 0, accuracy: 1e-5)
    }
}
