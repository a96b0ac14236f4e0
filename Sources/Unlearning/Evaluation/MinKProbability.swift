/// Min-K% Prob (Shi et al. 2024), the membership signal of MUSE's PrivLeak: the mean of the
/// lowest k % of a text's token log-probabilities. Text seen in training has few very
/// unlikely tokens, so its score is higher (closer to 0) than that of unseen text.
public enum MinKProbability {
    /// MUSE's PrivLeak uses k = 40 %.
    public static let defaultFraction = 0.4

    /// The mean of the ⌊fraction × count⌋ lowest log-probabilities, and at least of the lowest
    /// one. The count truncates as MUSE's and the paper's code do (`int(len(all_prob) * ratio)`),
    /// but they then average an empty slice (NaN) for texts shorter than 1/fraction tokens;
    /// answers here are short, so one token is the floor. MUSE stores the negated mean; this is
    /// the mean itself, so that a higher score means "more likely a member".
    public static func score(tokenLogProbabilities: [Double], fraction: Double = defaultFraction) throws(EvaluationMetricError) -> Double {
        try EvaluationMetricError.requireNumbers(tokenLogProbabilities, "tokenLogProbabilities")
        guard fraction > 0 && fraction <= 1 else {
            throw .outOfRange(quantity: "fraction", value: fraction, expected: "in (0, 1]")
        }
        let count = max(1, Int(Double(tokenLogProbabilities.count) * fraction))
        let lowest = tokenLogProbabilities.sorted().prefix(count)
        return lowest.reduce(0, +) / Double(count)
    }
}
