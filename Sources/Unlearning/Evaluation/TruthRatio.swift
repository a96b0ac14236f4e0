import Foundation

/// TOFU's truth ratio of one question: how likely the model finds wrong answers compared with
/// a correct one in other words. With p̄(a|q) = exp(−mean token NLL of a), the length-normalised
/// probability, R = p̄_perturbed / p̄_paraphrased where p̄_perturbed is the geometric mean over
/// the perturbed answers. A model that knows the fact has R well below 1.
public struct TruthRatio: Sendable, Equatable {
    /// R.
    public let value: Double

    /// R from the mean token NLL of the paraphrased answer and of each perturbed answer. The
    /// geometric mean of the p̄ is exp(−mean of the NLLs), so R = exp(NLL_paraphrased − mean
    /// NLL_perturbed): formed in log space, so that answers the model finds very unlikely
    /// (p̄ underflowing to 0) still give a ratio.
    public init(paraphrasedMeanNLL: Double, perturbedMeanNLLs: [Double]) throws(EvaluationMetricError) {
        try Self.requireNLL(paraphrasedMeanNLL, "paraphrasedMeanNLL")
        guard !perturbedMeanNLLs.isEmpty else { throw .empty(quantity: "perturbedMeanNLLs") }
        for (index, nll) in perturbedMeanNLLs.enumerated() { try Self.requireNLL(nll, "perturbedMeanNLLs[\(index)]") }
        let meanPerturbed = perturbedMeanNLLs.reduce(0, +) / Double(perturbedMeanNLLs.count)
        value = exp(paraphrasedMeanNLL - meanPerturbed)
    }

    /// The truth-ratio score on knowledge the model should keep (the retain and general splits
    /// in model utility): max(0, 1 − R), 1 when the wrong answers are unlikely.
    public var score: Double { max(0, 1 - value) }

    /// TOFU's form on the forget split, min(R, 1/R): there a model that prefers the wrong
    /// answers has not forgotten either, so both directions away from R = 1 count.
    public var forgetSplitScore: Double { min(value, 1 / value) }

    /// A mean NLL is finite and not negative; a negative one is most likely a log-probability.
    private static func requireNLL(_ nll: Double, _ quantity: String) throws(EvaluationMetricError) {
        if nll.isNaN { throw .notANumber(quantity: quantity) }
        guard nll >= 0 && nll.isFinite else {
            throw .outOfRange(quantity: quantity, value: nll, expected: "a finite mean token NLL ≥ 0")
        }
    }
}
