import Foundation

// The per-example losses and weights of DiPO, NPO and SimNPO, in Double and stable for any x:
// −log σ(−x) = softplus(x) and its derivative σ(x).

/// log(1 + eˣ).
func softplus(_ x: Double) -> Double {
    max(x, 0) + log1p(exp(-abs(x)))
}

/// 1 / (1 + e^−x).
func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}
