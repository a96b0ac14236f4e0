import Foundation

/// The one-sided statistic D⁺_n = sup (F_n − F) for n values, scipy's `smirnov`; the
/// two-sided distribution leans on it where D⁺ and D⁻ rarely reach x together.
enum SmirnovDistribution {
    /// Above this n scipy stops summing and uses an approximation; so does this copy.
    static let largestSummedSize = 1_000_000

    /// P(D⁺_n ≥ x) by the Birnbaum–Tingey (1951) sum
    /// x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (x + v/n)^{v−1} (1 − x − v/n)^{n−v},
    /// whose terms are all positive; each is formed as a logarithm so none overflows.
    static func survival(_ x: Double, sampleSize n: Int) -> Double {
        if x <= 0 { return 1 }
        if x >= 1 { return 0 }
        let size = Double(n)
        if n > largestSummedSize {
            // scipy's p ≈ e^{−(6nx+1)²/(18n)}.
            return exp(-pow(6 * size * x + 1, 2) / 18 / size)
        }
        let logNFactorial = logFactorial(n)
        var sum = 0.0
        for v in 0...n {
            let below = Double(n - v) / size - x  // 1 − x − v/n, as scipy forms it
            guard below > 0 else { break }
            let above = Double(v) / size + x
            let logTerm = logNFactorial - logFactorial(v) - logFactorial(n - v)
                + Double(v - 1) * log(above) + Double(n - v) * log(below)
            sum += exp(logTerm)
        }
        return min(max(x * sum, 0), 1)
    }
}
