import Model

/// The loss NPO and SimNPO share: L = (2/β) · mean_b softplus(x_b) = −(2/β) · mean_b log σ(−x_b),
/// where x_b is affine in example b's summed NLL (−log π_θ(y_b | x_b)): x_b = slope_b · NLL_b + offset_b.
/// Its gradient is gradient ascent's on the example scaled by (2/β) σ(x_b) · |slope_b|, a weight
/// that fades as the example's likelihood drops: what keeps NPO from collapsing the model.
/// `argument(b, responseCount)` gives (slope_b, offset_b).
func negativePreferenceLoss(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch, vocabulary: Int,
                            beta: Float, scale: Float,
                            argument: (_ example: Int, _ responseCount: Int) -> (slope: Double, offset: Double)) throws -> Float {
    guard beta > 0 && beta.isFinite else { throw ObjectiveError.invalidParameter(name: "beta", value: Double(beta)) }
    let z = logits.baseAddress!
    return try ResponseLikelihood.withComputed(logits: z, batch: batch, vocabulary: vocabulary) { likelihood in
        let β = Double(beta), examples = Double(likelihood.positions.countedExamples)
        var loss = 0.0
        for b in 0..<batch.batchSize where likelihood.positions.counts[b] > 0 {
            let (slope, offset) = argument(b, likelihood.positions.counts[b])
            let x = slope * likelihood.sums[b] + offset
            loss += 2 / β * softplus(x)
            likelihood.sumGradients[b] = Float(Double(scale) * 2 / β * sigmoid(x) * slope / examples)
        }
        likelihood.backward(into: z)
        return Float(loss / examples)
    }
}
