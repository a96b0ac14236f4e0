import Corpus
/// TOFU's figures for one corpus item under one model.
public struct ItemEvaluation: Sendable {
    public let id: String
    /// p̄(answer | question) = exp(−mean token NLL of the answer).
    public let probability: Double
    /// R from the paraphrased and the perturbed answers.
    public let truthRatio: TruthRatio
    /// Min-K% Prob of the answer's tokens (k = 40 %).
    public let minKScore: Double
    /// The greedy answer and its ROUGE-L recall of the true answer.
    public let recall: AnswerRecall.Item

    public init(id: String, probability: Double, truthRatio: TruthRatio, minKScore: Double, recall: AnswerRecall.Item) {
        self.id = id
        self.probability = probability
        self.truthRatio = truthRatio
        self.minKScore = minKScore
        self.recall = recall
    }

    /// The item's figures from the likelihoods of its answer, its paraphrased answer and its
    /// perturbed answers, and from its greedy answer.
    public init(
        item: CorpusItem, answer: AnswerLikelihood, paraphrased: AnswerLikelihood, perturbed: [AnswerLikelihood],
        recall: AnswerRecall.Item
    ) throws(EvaluationMetricError) {
        self.init(id: item.id, probability: answer.probability,
                  truthRatio: try TruthRatio(paraphrasedMeanNLL: paraphrased.meanNLL, perturbedMeanNLLs: perturbed.map(\.meanNLL)),
                  minKScore: try MinKProbability.score(tokenLogProbabilities: answer.tokenLogProbabilities), recall: recall)
    }
}
