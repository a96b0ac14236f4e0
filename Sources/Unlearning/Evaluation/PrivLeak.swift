/// MUSE's PrivLeak: how far the unlearned model's membership-inference AUC on the forget
/// split against held-out text is from the retain model's, which never saw the forget split.
/// Near 0 is good; strongly negative means the forget split still looks like training data
/// (under-unlearning), strongly positive that it now looks less familiar than text never seen
/// (over-unlearning, itself a signal of membership).
public enum PrivLeak {
    /// MUSE's AUC (`forget_holdout_Min-40%`): holdout texts are the positives and forget texts
    /// the negatives, ranked by their Min-K% Prob scores (`MinKProbability.score`). A model
    /// that remembers the forget split scores it higher, pushing the AUC toward 0; a model
    /// that never saw it gives about 0.5.
    public static func areaUnderCurve(forgetScores: [Double], holdoutScores: [Double]) throws(EvaluationMetricError) -> Double {
        try AreaUnderCurve.receiverOperatingCharacteristic(positives: holdoutScores, negatives: forgetScores)
    }

    /// (AUC_unlearned − AUC_retain) / AUC_retain × 100, as MUSE's `eval.py` computes it
    /// (MUSE takes AUC_retain from its retrained model; here it is the retain model's).
    public static func percent(unlearnedAUC: Double, retainAUC: Double) throws(EvaluationMetricError) -> Double {
        for (quantity, auc) in [("unlearnedAUC", unlearnedAUC), ("retainAUC", retainAUC)] {
            if auc.isNaN { throw .notANumber(quantity: quantity) }
            guard (0...1).contains(auc) else { throw .outOfRange(quantity: quantity, value: auc, expected: "in [0, 1]") }
        }
        guard retainAUC > 0 else { throw .outOfRange(quantity: "retainAUC", value: retainAUC, expected: "above 0 (it divides)") }
        return (unlearnedAUC - retainAUC) / retainAUC * 100
    }
}
