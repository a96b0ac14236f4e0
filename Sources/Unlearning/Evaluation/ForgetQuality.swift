/// TOFU's forget quality: the two-sample Kolmogorov–Smirnov p-value between the truth ratios
/// of the unlearned model and of the retain model on the same forget split. Near 1, the
/// unlearned model's truth ratios look like those of a model that never saw the split.
///
/// The raw ratio, not `TruthRatio.forgetSplitScore`: TOFU's `get_forget_quality` tests
/// exp(perturbed loss − paraphrased loss) = 1/R of both models, and the KS test is unchanged
/// by a strictly monotone map applied to both samples, so R gives the same p-value. min(R, 1/R)
/// is not monotone (it folds R > 1 onto R < 1) and TOFU uses it only for the truth ratio it
/// reports on the forget split.
public enum ForgetQuality {
    public static func pValue(unlearned: SplitEvaluation, retainModel: SplitEvaluation) throws(EvaluationMetricError) -> Double {
        try KolmogorovSmirnov.twoSample(unlearned.items.map(\.truthRatio.value), retainModel.items.map(\.truthRatio.value)).pValue
    }
}
