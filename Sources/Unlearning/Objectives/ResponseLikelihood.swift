import Kernels
import Model

/// The per-position log-softmax every likelihood head starts from, and its sums per example:
/// each position's logsumexp(z_n) and target NLL logsumexp(z_n) − z_n[y_n] (the cross-entropy
/// kernel's forward), and each example's NLL summed over its response positions,
/// −log π(y_b | x_b). Lives in temporary storage for one call.
struct ResponseLikelihood {
    let positions: ResponsePositions
    let vocabulary: Int
    /// Per position: logsumexp of its logits.
    let logSumExp: UnsafePointer<Float>
    /// Per example: Σ_t NLL_t over its response positions.
    let sums: UnsafePointer<Double>
    /// Per example: ∂L/∂sums[b], filled by the head before `backward` (0 until then).
    let sumGradients: UnsafeMutablePointer<Float>

    /// Computes them for `logits` [B·T, V] of `batch` for `body`; throws when the batch has no
    /// response position.
    static func withComputed<R>(logits: UnsafePointer<Float>, batch: TokenBatch, vocabulary: Int,
                                _ body: (ResponseLikelihood) throws -> R) throws -> R {
        let N = batch.tokenCount, B = batch.batchSize
        return try ResponsePositions.withPositions(of: batch) { positions in
            try withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * N + B) { floats in
                try withUnsafeTemporaryAllocation(of: Double.self, capacity: B) { sums in
                    let losses = floats.baseAddress!, logSumExp = losses + N, sumGradients = logSumExp + N
                    crossEntropyForward(losses: losses, logSumExp: logSumExp, logits: logits, targets: positions.targets,
                                        rows: N, vocabulary: vocabulary)
                    positions.sum(losses, into: sums.baseAddress!)
                    sumGradients.update(repeating: 0, count: B)
                    return try body(ResponseLikelihood(positions: positions, vocabulary: vocabulary, logSumExp: logSumExp,
                                                       sums: sums.baseAddress!, sumGradients: sumGradients))
                }
            }
        }
    }

    /// Overwrites `logits` with ∂L/∂logits = sumGradients[b] · (softmax(z_n) − onehot(y_n)) at
    /// example b's response positions, 0 elsewhere: the chain rule through each example's sum.
    func backward(into logits: UnsafeMutablePointer<Float>) {
        let T = positions.length
        for b in 0..<positions.examples {
            crossEntropyBackward(logitsToGradient: logits + b * T * vocabulary, logSumExp: logSumExp + b * T,
                                 targets: positions.targets + b * T, rows: T, vocabulary: vocabulary, scale: sumGradients[b])
        }
    }
}
