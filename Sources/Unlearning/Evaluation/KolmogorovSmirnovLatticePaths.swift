/// The exact null distribution of the two-sample statistic, as scipy computes it. Merging two
/// samples of sizes n and m (without ties) is a lattice path from (0, 0) to (n, m), one step
/// right per value of the first sample, one step up per value of the second; all C(n+m, n)
/// paths are equally likely. At (x, y) the ECDFs differ by |x/n − y/m| = |x·m' − y·n'| / lcm
/// with n' = n/g, m' = m/g, g = gcd(n, m), so D ≥ h/lcm exactly when the path touches
/// |x·m' − y·n'| ≥ h.
enum KolmogorovSmirnovLatticePaths {
    /// P(D ≥ h / lcm(n, m)), or nil where scipy gives up on the exact value: when rounding
    /// pushes the equal-size formula above 1 (it does for small h, e.g. n = m = 7, h = 1),
    /// scipy falls back to the asymptotic distribution, and so must a faithful copy.
    static func probabilityOfDistance(atLeast h: Int, sampleSizes n: Int, _ m: Int) -> Double? {
        guard h > 0 else { return 1 }
        let probability = n == m ? equalSizes(n, h) : escapingBand(n, m, h)
        return (0...1).contains(probability) ? probability : nil
    }

    /// n = m: the reflection principle gives P(D ≥ h/n) = 2 Σ_{k≥1} (−1)^(k−1) C(2n, n−kh) / C(2n, n).
    /// Nested as 2·A₀(1 − A₁(1 − A₂(…))) with Aₖ = C(2n, n−(k+1)h) / C(2n, n−kh), each a product
    /// of h factors, so no large binomial and no cancelling terms appear; the operations are
    /// scipy's `_compute_prob_outside_square`, in its order, so they round alike.
    static func equalSizes(_ n: Int, _ h: Int) -> Double {
        var nested = 0.0
        for k in stride(from: n / h, through: 0, by: -1) {
            var ratio = 1.0
            for j in 0..<h {
                ratio = Double(n - k * h - j) * ratio / Double(n + k * h + j + 1)
            }
            nested = ratio * (1.0 - nested)
        }
        return 2 * nested
    }

    /// n ≠ m: the fraction of paths that leave the band, built column by column (Hodges'
    /// inside method with Viehmann's recursion for the escaped fraction, arXiv:2102.08037).
    /// With E(x, y) the fraction of paths to (x, y) that have left the band, E = 1 outside it
    /// and inside E(x, y) = (x·E(x−1, y) + y·E(x, y−1)) / (x + y): a weighted mean, never
    /// above 1, of the two ways in.
    static func escapingBand(_ n: Int, _ m: Int, _ h: Int) -> Double {
        // Columns along the longer sample keep the column short.
        let (columns, rows) = (max(n, m), min(n, m))
        let g = KolmogorovSmirnov.greatestCommonDivisor(n, m)
        let columnWeight = rows / g, rowWeight = columns / g
        // Inside the band: |x·columnWeight − y·rowWeight| < h.
        func firstInside(_ x: Int) -> Int { min(max(floorDivision(x * columnWeight - h, rowWeight) + 1, 0), rows) }
        func endInside(_ x: Int) -> Int { min(ceilingDivision(x * columnWeight + h, rowWeight), rows + 1) }

        var escaped = [Double](repeating: 1, count: rows + 1)
        for y in 0..<endInside(0) { escaped[y] = 0 }
        var first = 0
        for x in 1...columns {
            let (newFirst, end) = (firstInside(x), endInside(x))
            if end <= newFirst { return 1 }  // the band is closed in this column: every path leaves
            for y in first..<newFirst { escaped[y] = 1 }
            first = newFirst
            for y in first..<end {
                let fromBelow = y == 0 ? 0 : escaped[y - 1]
                escaped[y] = (escaped[y] * Double(x) + fromBelow * Double(y)) / Double(x + y)
            }
        }
        return escaped[rows]
    }

    static func floorDivision(_ numerator: Int, _ denominator: Int) -> Int {
        let quotient = numerator / denominator
        return numerator % denominator != 0 && (numerator < 0) != (denominator < 0) ? quotient - 1 : quotient
    }

    static func ceilingDivision(_ numerator: Int, _ denominator: Int) -> Int {
        -floorDivision(-numerator, denominator)
    }
}
