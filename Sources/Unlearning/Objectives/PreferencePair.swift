import Foundation
import Kernels

// DiPO's preference pair at one response position t, built from a source distribution softmax(x):
// the reference's (x = log π_ref,t) or, with source = policy, the current model's (x = z_t^θ,
// detached). M is a handful of high-confidence tokens.
//   π⁺ = softmax(x − γ·1[M])   forgetting-promoting (preferred)
//   π⁻ = softmax(x + γ·1[M])   memory-promoting (dispreferred)
// Both are softmax(x) reweighted on M and renormalised. With e_v = exp(x_v − max x),
// I = Σ_{v∈M} e_v, O = Σ_{v∉M} e_v and Z± = O + e^{∓γ}·I:
//   π⁺_v − π⁻_v = e_v · (1/Z⁺ − 1/Z⁻)           for v ∉ M
//   π⁺_v − π⁻_v = e_v · (e^{−γ}/Z⁺ − e^{γ}/Z⁻)   for v ∈ M
// so O(V) work per position rebuilds the difference from x alone. O is summed over the unmasked tokens themselves,
// not as total − I, which would cancel when M holds nearly all the mass.

/// Fills `masked` (room for k + 1 ids) with M_t — the k largest entries of x (ties to the lower
/// id), the target, or both, as `rule` says — and returns how many it holds.
func selectHighConfidenceTokens(_ x: UnsafePointer<Float>, vocabulary: Int, target: Int32, rule: DiPO.HighConfidence,
                                k: Int, into masked: UnsafeMutablePointer<Int32>) -> Int {
    var count = 0
    if rule != .target {
        for v in 0..<vocabulary where count < k || x[v] > x[Int(masked[count - 1])] {
            // Insert v behind every kept entry at least as large; once k are kept, the smallest goes.
            var slot = min(count, k - 1)
            while slot > 0 && x[Int(masked[slot - 1])] < x[v] {
                masked[slot] = masked[slot - 1]
                slot -= 1
            }
            masked[slot] = Int32(v)
            count = min(count + 1, k)
        }
    }
    if rule != .topK && !isMasked(Int(target), masked, count) {
        masked[count] = target
        count += 1
    }
    return count
}

@inline(__always)
private func isMasked(_ v: Int, _ masked: UnsafePointer<Int32>, _ count: Int) -> Bool {
    for j in 0..<count where Int(masked[j]) == v { return true }
    return false
}

/// Overwrites `row`, the policy's logits z_t^θ, with π⁺_t − π⁻_t and returns
/// (π⁺_t − π⁻_t) · (z_t^θ − log π_ref,t), the position's term of the margin Δ (its gradient with
/// respect to z_t^θ is the difference itself). `source` may be `row` itself (source = policy):
/// each entry is read before it is overwritten.
func writePreferenceDifference(row z: UnsafeMutablePointer<Float>, referenceLogProbabilities logProbabilities: UnsafePointer<Float>,
                               source x: UnsafePointer<Float>, vocabulary: Int,
                               masked: UnsafePointer<Int32>, maskedCount: Int, gamma: Float) -> Double {
    var maximum = -Float.infinity
    for v in 0..<vocabulary { maximum = max(maximum, x[v]) }
    var inside = 0.0, outside = 0.0
    for v in 0..<vocabulary {
        let e = Double(fastExp(x[v] - maximum))
        if isMasked(v, masked, maskedCount) { inside += e } else { outside += e }
    }
    let suppress = exp(-Double(gamma)), amplify = exp(Double(gamma))
    let plus = outside + suppress * inside, minus = outside + amplify * inside
    let unmaskedFactor = Float(1 / plus - 1 / minus), maskedFactor = Float(suppress / plus - amplify / minus)

    var margin = 0.0
    for v in 0..<vocabulary {
        let difference = fastExp(x[v] - maximum) * (isMasked(v, masked, maskedCount) ? maskedFactor : unmaskedFactor)
        margin += Double(difference) * (Double(z[v]) - Double(logProbabilities[v]))
        z[v] = difference
    }
    return margin
}
