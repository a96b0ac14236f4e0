import Model
import Corpus

/// TOFU's figures for the items of a split under one model: each item's, and their means.
public struct SplitEvaluation: Sendable {
    public let items: [ItemEvaluation]

    public init(items: [ItemEvaluation]) { self.items = items }

    public var meanProbability: Double { mean(\.probability) }
    public var meanRougeLRecall: Double { mean(\.recall.recall) }
    /// The mean of R itself.
    public var meanTruthRatio: Double { mean(\.truthRatio.value) }
    /// The mean of max(0, 1 − R), the form model utility uses.
    public var meanTruthRatioScore: Double { mean(\.truthRatio.score) }
    /// The mean of min(R, 1/R), the form TOFU reports on a forget split.
    public var meanForgetSplitTruthRatio: Double { mean(\.truthRatio.forgetSplitScore) }
    public var meanMinKScore: Double { mean(\.minKScore) }

    /// The three figures model utility takes from a split.
    public var utilityFigures: ModelUtility.SplitFigures {
        ModelUtility.SplitFigures(probability: meanProbability, rougeLRecall: meanRougeLRecall, truthRatioScore: meanTruthRatioScore)
    }

    private func mean(_ figure: (ItemEvaluation) -> Double) -> Double {
        items.isEmpty ? 0 : items.reduce(0) { $0 + figure($1) } / Double(items.count)
    }

    /// Evaluates `items`: the likelihoods of all their answers (true, paraphrased, perturbed)
    /// in batched forward passes, then a greedy answer to each question. `progress` gets the
    /// count of greedy answers done.
    public static func measure(
        _ items: [CorpusItem], model: LlamaModel, format: ConversationFormat, maxNewTokens: Int = 64,
        progress: (Int) -> Void = { _ in }
    ) throws -> SplitEvaluation {
        if let odd = items.first(where: { $0.perturbedAnswers.count != CorpusItem.perturbedAnswerCount }) {
            throw EvaluationMetricError.outOfRange(quantity: "\(odd.id) perturbedAnswers.count", value: Double(odd.perturbedAnswers.count),
                                                   expected: "\(CorpusItem.perturbedAnswerCount)")
        }
        // Per item: the answer, the paraphrase, then the perturbed answers.
        let answersPerItem = 2 + CorpusItem.perturbedAnswerCount
        let pairs = items.flatMap { item in
            ([item.answer, item.paraphrasedAnswer] + item.perturbedAnswers).map { (question: item.question, answer: $0) }
        }
        let likelihoods = try AnswerLikelihood.measure(pairs, model: model, format: format)
        let recall = try AnswerRecall.measure(items.map { ($0.id, $0.question, $0.answer) }, model: model, format: format,
                                              maxNewTokens: maxNewTokens, progress: progress)
        return SplitEvaluation(items: try items.indices.map { index in
            let scored = likelihoods[index * answersPerItem..<(index + 1) * answersPerItem]
            return try ItemEvaluation(item: items[index], answer: scored[scored.startIndex], paraphrased: scored[scored.startIndex + 1],
                                      perturbed: Array(scored.dropFirst(2)), recall: recall.items[index])
        })
    }
}
