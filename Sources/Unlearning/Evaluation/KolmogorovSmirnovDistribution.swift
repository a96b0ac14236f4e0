import Foundation

/// The distribution of the one-sample two-sided statistic D_n = sup |F_n − F| for n values,
/// scipy's `kstwo`: the two-sample test falls back to it for large samples. Its survival
/// function is computed as scipy's `_kolmogn` does, choosing among exact and approximate
/// methods by n and x as Simard & L'Ecuyer (2011) recommend; each method here matches scipy's
/// to ~1e-13, and choosing the same one matters where the approximations (Pelz–Good) differ
/// from the exact value by up to a few 1e-6.
enum KolmogorovSmirnovDistribution {
    /// P(D_n ≥ x).
    static func survival(_ x: Double, sampleSize n: Int) -> Double {
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let size = Double(n), t = size * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            // Ruben & Gambino (1982): P(D_n ≤ x) = n!/nⁿ · (2t − 1)ⁿ for 1/(2n) ≤ x ≤ 1/n.
            return clamped(1 - exp(logFactorial(n) - size * log(size) + size * log(2 * t - 1)))
        }
        // Ruben & Gambino again: above 1 − 1/n only the two extreme orderings reach x.
        if t >= size - 1 { return clamped(2 * pow(1 - x, size)) }
        // D⁺ and D⁻ cannot both reach x ≥ 1/2, and past these points their joint probability is
        // negligible, so P(D ≥ x) = 2·P(D⁺ ≥ x).
        let twiceOneSided = { clamped(2 * SmirnovDistribution.survival(x, sampleSize: n)) }
        if x >= 0.5 { return twiceOneSided() }
        let nxSquared = t * x
        if n <= 140 {
            // scipy uses Pomeranz's recursion for 0.754693 < n·x² ≤ 4; it and the Durbin matrix
            // are both exact and agree to ~1e-14 there, so one exact method serves.
            return nxSquared <= 4 ? clamped(1 - DurbinMatrix.cumulativeProbability(x, sampleSize: n)) : twiceOneSided()
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return twiceOneSided() }
        let durbinIsAffordable = n <= 100_000 && size * pow(x, 1.5) <= 1.4
        let cumulative = durbinIsAffordable
            ? DurbinMatrix.cumulativeProbability(x, sampleSize: n) : PelzGoodApproximation.cumulativeProbability(x, sampleSize: n)
        return clamped(1 - cumulative)
    }

    static func clamped(_ probability: Double) -> Double { min(max(probability, 0), 1) }
}
