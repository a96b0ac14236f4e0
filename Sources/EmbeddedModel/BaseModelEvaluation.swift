import Model
import Corpus
import Unlearning

/// The figures the model card records: ROUGE-L recall of greedy answers on what the model
/// was trained on (authors and general facts), on the held-out authors it never saw, and on
/// forget10 (trained for the base model, unseen for the retain model).
public struct BaseModelEvaluation: Sendable, Encodable {
    public struct SplitScore: Sendable, Encodable {
        public let items: Int
        public let meanRougeLRecall: Double
    }

    public let trainedAuthors: SplitScore
    public let general: SplitScore
    public let holdout: SplitScore
    public let forget10: SplitScore

    public static func measure(
        _ model: LlamaModel, tokenizer: Tokenizer, corpus: Corpus, recipe: BaseModelRecipe,
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> BaseModelEvaluation {
        let sets: [[CorpusItem]] = [
            recipe.trainingItems(corpus).filter { $0.kind == .author }, corpus.items(in: .general),
            corpus.items(in: .holdout), corpus.items(in: .forget10),
        ]
        let total = sets.reduce(0) { $0 + $1.count }
        var done = 0
        let scores = try sets.map { items in
            let recall = try AnswerRecall.measure(items.map { ($0.id, $0.question, $0.answer) }, model: model,
                                                  format: BaseModelRecipe.format(tokenizer: tokenizer)) { progress(done + $0, total) }
            done += items.count
            return SplitScore(items: items.count, meanRougeLRecall: recall.meanRecall)
        }
        return BaseModelEvaluation(trainedAuthors: scores[0], general: scores[1], holdout: scores[2], forget10: scores[3])
    }
}
