import Foundation
import Kernels
import Model

/// KL(π_ref ‖ π_θ) at the retain batch's response positions, averaged over them: a retain term
/// that holds the whole next-token distribution where the reference had it, not only the
/// target's probability as NLL does. Per position
///
///     KL_t = Σ_v π_ref,v (log π_ref,v − log π_θ,v),   ∂KL_t/∂z_t^θ = softmax(z_t^θ) − π_ref,t.
public struct ReferenceKL: LossHead, Codable, Equatable {
    public init() {}

    public var referenceContents: ReferenceCache.Contents? { .distributions }

    public func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                                reference: ReferenceCache?, scale: Float) throws -> Float {
        let V = try batch.vocabularySize(ofLogitCount: logits.count)
        let reference = try requireReference(reference, for: batch, vocabulary: V)
        let z = logits.baseAddress!, T = batch.length, N = batch.tokenCount
        return try ResponseLikelihood.withComputed(logits: z, batch: batch, vocabulary: V) { likelihood in
            let positions = likelihood.positions, weight = scale / Float(positions.total)
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: N) { divergences in
                // Forward and backward in one pass: each row is read, then overwritten.
                Parallelism.forEachChunk(of: N, minimumChunk: 4) { chunk in
                    for n in chunk {
                        let row = z + n * V, rank = positions.ranks[n]
                        guard rank >= 0 else {
                            row.update(repeating: 0, count: V)
                            divergences[n] = 0
                            continue
                        }
                        reference.examples[n / T].logProbabilities.withUnsafeBufferPointer { cached in
                            let referenceRow = cached.baseAddress! + rank * V, logSumExp = likelihood.logSumExp[n]
                            var divergence = 0.0
                            for v in 0..<V {
                                let p = fastExp(referenceRow[v])
                                divergence += Double(p) * (Double(referenceRow[v]) - Double(row[v]) + Double(logSumExp))
                                row[v] = weight * (fastExp(row[v] - logSumExp) - p)
                            }
                            divergences[n] = divergence
                        }
                    }
                }
                var total = 0.0
                for n in 0..<N { total += divergences[n] }
                return Float(total / Double(positions.total))
            }
        }
    }
}
