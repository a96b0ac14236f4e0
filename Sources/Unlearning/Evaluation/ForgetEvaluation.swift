import Model
import Corpus

/// How well an unlearned model forgot a forget split, against the retain model (trained
/// without it): TOFU's forget quality and model utility, and MUSE's membership-inference AUC
/// of forget against held-out answers with its PrivLeak.
public struct ForgetEvaluation: Sendable {
    /// `ForgetQuality.pValue` of the two models' forget-split evaluations.
    public let forgetQuality: Double
    /// The unlearned model's utility on a retain split and the general split.
    public let modelUtility: ModelUtility
    /// `PrivLeak.areaUnderCurve` of the unlearned model's and of the retain model's Min-K% scores.
    public let membershipAUC: Double
    public let retainModelMembershipAUC: Double
    /// `PrivLeak.percent` of the two AUCs.
    public let privLeak: Double

    /// `forget` and `retainModelForget` are the two models' evaluations of the same forget
    /// split; the holdout scores are each model's Min-K% scores of the held-out answers.
    public init(
        forget: SplitEvaluation, retainModelForget: SplitEvaluation, retain: SplitEvaluation, general: SplitEvaluation,
        holdoutMinKScores: [Double], retainModelHoldoutMinKScores: [Double]
    ) throws(EvaluationMetricError) {
        forgetQuality = try ForgetQuality.pValue(unlearned: forget, retainModel: retainModelForget)
        modelUtility = try ModelUtility(retain: retain.utilityFigures, general: general.utilityFigures)
        membershipAUC = try PrivLeak.areaUnderCurve(forgetScores: forget.items.map(\.minKScore), holdoutScores: holdoutMinKScores)
        retainModelMembershipAUC = try PrivLeak.areaUnderCurve(forgetScores: retainModelForget.items.map(\.minKScore),
                                                               holdoutScores: retainModelHoldoutMinKScores)
        privLeak = try PrivLeak.percent(unlearnedAUC: membershipAUC, retainAUC: retainModelMembershipAUC)
    }

    /// Each item's Min-K% score of its answer, from likelihoods alone (no generation): what
    /// the membership test needs of the held-out items.
    public static func minKScores(of items: [CorpusItem], model: LlamaModel, format: ConversationFormat) throws -> [Double] {
        try AnswerLikelihood.measure(items.map { ($0.question, $0.answer) }, model: model, format: format)
            .map { likelihood throws(EvaluationMetricError) in try MinKProbability.score(tokenLogProbabilities: likelihood.tokenLogProbabilities) }
    }
}
