import Foundation

/// Pelz & Good (1976): the Li-Chien/Korolyuk expansion P(D_n ≤ x) ≈ K₀(z) + K₁(z)/√n +
/// K₂(z)/n + K₃(z)/n^{3/2}, z = x√n, with each Kᵢ rewritten through Jacobi's theta identity
/// into sums of q^{(2k−1)²}, q = e^{−π²/(8z²)}, that converge fast for small z. scipy uses it
/// for large n or moderate x (where the Durbin matrix would be too big); it is within a few
/// 1e-6 of the exact value there, so it is reproduced term for term rather than replaced.
enum PelzGoodApproximation {
    static func cumulativeProbability(_ x: Double, sampleSize n: Int) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4
        let logQ = -Double.pi * Double.pi / 8 / z2
        if logQ < -708 { return 0 }  // every term underflows
        let q = exp(logQ)
        let pi2 = Double.pi * Double.pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2

        // Σ over odd j = 2k − 1 of cᵢ(j)·q^{j²} for each Kᵢ, by Horner's rule in q^{8k}.
        var terms = [0.0, 0.0, 0.0, 0.0]
        let largestK = Int((16 * z / Double.pi).rounded(.up))
        for k in stride(from: largestK, through: 1, by: -1) {
            let j2 = Double((2 * k - 1) * (2 * k - 1)), j4 = j2 * j2, j6 = j4 * j2
            let coefficients = [
                1.0,
                -z2 + pi2 / 4 * j2,
                (6 * z6 + 2 * z4) + (2 * z4 - 5 * z2) * pi2 / 4 * j2 + pi4 * (1 - 2 * z2) / 16 * j4,
                (-30 * z6 - 90 * z8) + pi2 * (135 * z4 - 96 * z6) / 4 * j2
                    + pi4 * (-60 * z2 + 212 * z4) / 16 * j4 + pi6 * (5 - 30 * z2) / 64 * j6,
            ]
            let step = pow(q, Double(8 * k))
            for i in 0..<4 { terms[i] = terms[i] * step + coefficients[i] }
        }
        let root2Pi = (2 * Double.pi).squareRoot()
        let denominators = [z, 6 * z4, 72 * z4 * z2 * z, 6480 * z8 * z2]
        for i in 0..<4 { terms[i] = terms[i] * q * root2Pi / denominators[i] }

        // K₂ and K₃ also carry sums over all integers k of q'^{k²}, q' = e^{−π²/(2z²)}.
        let qAll = exp(-pi2 / 2 / z2)
        var sum2 = 0.0, sum3 = 0.0
        for k in stride(from: largestK, through: 1, by: -1) {
            let k2 = Double(k * k), weight = k2 * pow(qAll, k2)
            let root3z = 3.0.squareRoot() * z, kPi = Double.pi * Double(k)
            sum2 += weight
            sum3 += (root3z + kPi) * (root3z - kPi) * weight
        }
        terms[2] += sum2 * pi2 * root2Pi / (-36 * z2 * z)
        terms[3] += sum3 * pi2 * root2Pi / (216 * z6)

        let size = Double(n)
        return terms[0] + terms[1] / size.squareRoot() + terms[2] / size + terms[3] / (size * size.squareRoot())
    }
}
