import Unlearning
/// TOFU's and MUSE's figures for one model on one forget set (docs/dipo.md, "Evaluation").
public struct UnlearningScore: Sendable, Codable, Equatable {
    /// KS p-value of the forget set's truth ratios against the retain model's.
    public var forgetQuality: Double
    /// Harmonic mean of the retain-split and general-split figures.
    public var modelUtility: Double
    /// Mean ROUGE-L recall of the greedy answers to the forget questions.
    public var forgetRouge: Double
    /// Min-K% membership AUC of forget against held-out answers.
    public var miaAuc: Double
    /// The same AUC under the retain model, the value a perfect unlearning would reach.
    public var retainModelMiaAuc: Double
    public var privLeak: Double

    public init(forgetQuality: Double, modelUtility: Double, forgetRouge: Double, miaAuc: Double, retainModelMiaAuc: Double,
                privLeak: Double) {
        self.forgetQuality = forgetQuality
        self.modelUtility = modelUtility
        self.forgetRouge = forgetRouge
        self.miaAuc = miaAuc
        self.retainModelMiaAuc = retainModelMiaAuc
        self.privLeak = privLeak
    }

    public init(_ evaluation: ForgetEvaluation, forgetRouge: Double) {
        self.init(forgetQuality: evaluation.forgetQuality, modelUtility: evaluation.modelUtility.value, forgetRouge: forgetRouge,
                  miaAuc: evaluation.membershipAUC, retainModelMiaAuc: evaluation.retainModelMembershipAUC, privLeak: evaluation.privLeak)
    }
}
