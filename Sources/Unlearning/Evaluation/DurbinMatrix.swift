import Foundation

/// The exact distribution of the one-sample statistic D_n by Durbin's matrix method as
/// Marsaglia, Tsang & Wang (2003) evaluate it: with n·d = k − h (k an integer, 0 ≤ h < 1),
/// P(D_n < d) = n!/nⁿ · (Hⁿ)_{k,k} for an m×m matrix H, m = 2k − 1. O(m³ log n).
enum DurbinMatrix {
    static func cumulativeProbability(_ d: Double, sampleSize n: Int) -> Double {
        let nd = Double(n) * d
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let power = SquareMatrix.durbin(k: k, h: h).power(n)
        let entry = power.values[(k - 1) * power.size + (k - 1)]
        guard entry > 0 else { return 0 }
        // Hⁿ is kept as values × 2^exponent; n!/nⁿ joins it as a logarithm.
        let size = Double(n)
        return exp(log(entry) + Double(power.exponent) * M_LN2 + logFactorial(n) - size * log(size))
    }

    /// A square matrix scaled by a power of two, so that Hⁿ for n up to 10⁵ neither overflows
    /// nor loses its small entries (the scaling is exact).
    struct SquareMatrix {
        let size: Int
        var values: [Double]
        var exponent = 0

        /// H_{ij} = 1/(i − j + 1)! where i − j + 1 ≥ 0 (0-based), except the first column and
        /// last row, (1 − h^r)/r! with r the distance to the corner, and the corner itself,
        /// (1 − 2hᵐ + max(0, 2h − 1)ᵐ)/m!.
        static func durbin(k: Int, h: Double) -> SquareMatrix {
            let m = 2 * k - 1
            var inverseFactorial = [1.0]
            for r in 1...m { inverseFactorial.append(inverseFactorial[r - 1] / Double(r)) }
            var matrix = SquareMatrix(size: m, values: [Double](repeating: 0, count: m * m))
            for i in 0..<m {
                for j in 0...min(i + 1, m - 1) { matrix.values[i * m + j] = inverseFactorial[i - j + 1] }
            }
            for r in 1...m {
                let edge = (1 - pow(h, Double(r))) * inverseFactorial[r]
                matrix.values[(r - 1) * m] = edge                 // first column, row r − 1
                matrix.values[(m - 1) * m + (m - r)] = edge       // last row, column m − r
            }
            matrix.values[(m - 1) * m] = (1 - 2 * pow(h, Double(m)) + pow(max(0, 2 * h - 1), Double(m))) * inverseFactorial[m]
            return matrix
        }

        /// self^n by repeated squaring.
        func power(_ n: Int) -> SquareMatrix {
            var result = SquareMatrix(size: size, values: (0..<size * size).map { $0 % (size + 1) == 0 ? 1 : 0 })
            var square = self, remaining = n
            while remaining > 0 {
                if remaining % 2 == 1 { result = result.times(square) }
                remaining /= 2
                if remaining > 0 { square = square.times(square) }
            }
            return result
        }

        /// The product, rescaled by a power of two so that its largest entry lies in [1, 2).
        func times(_ other: SquareMatrix) -> SquareMatrix {
            var product = [Double](repeating: 0, count: size * size)
            values.withUnsafeBufferPointer { a in
                other.values.withUnsafeBufferPointer { b in
                    product.withUnsafeMutableBufferPointer { c in
                        for i in 0..<size {
                            for l in 0..<size where a[i * size + l] != 0 {
                                let factor = a[i * size + l]
                                for j in 0..<size { c[i * size + j] += factor * b[l * size + j] }
                            }
                        }
                    }
                }
            }
            var scaled = SquareMatrix(size: size, values: product, exponent: exponent + other.exponent)
            let largest = product.map(abs).max() ?? 0
            if largest > 0 && largest.isFinite {
                let shift = Int(largest.exponent)
                let scale = Double(sign: .plus, exponent: -shift, significand: 1)
                scaled.values = product.map { $0 * scale }
                scaled.exponent += shift
            }
            return scaled
        }
    }
}
