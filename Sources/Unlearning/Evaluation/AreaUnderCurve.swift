/// The area under the ROC curve of a score that should rank positives above negatives.
public enum AreaUnderCurve {
    /// The probability that a random positive scores above a random negative, ties counting
    /// one half: the Mann–Whitney U / (n₊·n₋), which equals the trapezoidal area under the ROC
    /// curve that `sklearn.metrics.roc_auc_score` (and MUSE's `roc_curve` + `auc`) compute.
    public static func receiverOperatingCharacteristic(positives: [Double], negatives: [Double]) throws(EvaluationMetricError) -> Double {
        try EvaluationMetricError.requireNumbers(positives, "positives")
        try EvaluationMetricError.requireNumbers(negatives, "negatives")
        let sortedPositives = positives.sorted(), sortedNegatives = negatives.sorted()
        // Walk the positives in order; for each run of equal positive scores count the negatives
        // below it (wins) and equal to it (ties).
        var below = 0, index = 0, wins = 0.0, ties = 0.0
        while index < sortedPositives.count {
            let value = sortedPositives[index]
            var run = 0
            while index < sortedPositives.count && sortedPositives[index] == value { run += 1; index += 1 }
            while below < sortedNegatives.count && sortedNegatives[below] < value { below += 1 }
            var equal = 0
            while below + equal < sortedNegatives.count && sortedNegatives[below + equal] == value { equal += 1 }
            wins += Double(run) * Double(below)
            ties += Double(run) * Double(equal)
        }
        return (wins + ties / 2) / (Double(positives.count) * Double(negatives.count))
    }
}
