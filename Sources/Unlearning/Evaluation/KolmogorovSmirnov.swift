/// The two-sample Kolmogorov–Smirnov test as `scipy.stats.ks_2samp(a, b)` computes it
/// (two-sided, method "auto"). TOFU's forget quality is its p-value between the truth ratios
/// of the unlearned model and of the retain model on the forget split.
public enum KolmogorovSmirnov {
    /// scipy's `MAX_AUTO_N`: up to this many values per sample the p-value is exact.
    static let largestExactSampleSize = 10_000

    /// D, the largest distance between the two empirical distribution functions, and the
    /// probability of a D at least as large when both samples come from one continuous
    /// distribution. Ties are allowed; both ECDFs are evaluated at every pooled value.
    public static func twoSample(_ a: [Double], _ b: [Double]) throws(EvaluationMetricError) -> (statistic: Double, pValue: Double) {
        try EvaluationMetricError.requireNumbers(a, "a")
        try EvaluationMetricError.requireNumbers(b, "b")
        var statistic = largestDistance(a.sorted(), b.sorted())
        if max(a.count, b.count) <= largestExactSampleSize {
            // D is a multiple of 1/lcm(n, m); scipy snaps it there and keeps the snapped value
            // even when the exact p-value fails and it falls back below.
            let leastCommonMultiple = a.count / greatestCommonDivisor(a.count, b.count) * b.count
            let steps = Int((statistic * Double(leastCommonMultiple)).rounded(.toNearestOrEven))
            statistic = Double(steps) / Double(leastCommonMultiple)
            if let exact = KolmogorovSmirnovLatticePaths.probabilityOfDistance(atLeast: steps, sampleSizes: a.count, b.count) {
                return (statistic, exact)
            }
        }
        // Smirnov's limit: D of samples n and m behaves like the one-sample D of n·m/(n+m)
        // values, rounded half to even as numpy rounds.
        let effectiveSize = (Double(a.count) * Double(b.count) / (Double(a.count) + Double(b.count))).rounded(.toNearestOrEven)
        return (statistic, KolmogorovSmirnovDistribution.survival(statistic, sampleSize: Int(effectiveSize)))
    }

    /// max |F_a − F_b| over the pooled values, with F(x) the fraction of values ≤ x, in the same
    /// floating-point operations as scipy (so the snapping above rounds the same way).
    static func largestDistance(_ a: [Double], _ b: [Double]) -> Double {
        var i = 0, j = 0, largest = 0.0
        while i < a.count || j < b.count {
            let value = j == b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            while i < a.count && a[i] <= value { i += 1 }
            while j < b.count && b[j] <= value { j += 1 }
            largest = max(largest, abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)))
        }
        return largest
    }

    static func greatestCommonDivisor(_ x: Int, _ y: Int) -> Int {
        y == 0 ? x : greatestCommonDivisor(y, x % y)
    }
}
