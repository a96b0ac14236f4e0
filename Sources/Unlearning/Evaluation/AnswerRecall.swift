import Model

/// How well a model reproduces the answers of question/answer items: each question is asked
/// in the model's conversation format, answered greedily until EOS, and the answer scored by
/// ROUGE-L recall against the true answer.
public struct AnswerRecall: Sendable {
    public struct Item: Sendable, Codable {
        public let id: String
        public let generated: String
        public let recall: Double
    }

    public let items: [Item]

    public var meanRecall: Double { items.isEmpty ? 0 : items.reduce(0) { $0 + $1.recall } / Double(items.count) }

    /// Scores `items` (id, question, reference answer) with greedy answers of at most
    /// `maxNewTokens` tokens, all questions in one batched generation
    /// (`InferenceSession.greedyContinuations`, slots bounded by `memoryBudget` bytes);
    /// `progress` gets the count of answers finished so far; `betweenPasses` runs before each
    /// pass of the generation and may throw to cancel it.
    public static func measure(
        _ questions: [(id: String, question: String, answer: String)], model: LlamaModel, format: ConversationFormat,
        maxNewTokens: Int = 64, memoryBudget: Int = InferenceSession.defaultMemoryBudget, progress: (Int) -> Void = { _ in },
        betweenPasses: () throws -> Void = {}
    ) throws -> AnswerRecall {
        let prompts = try questions.map { try format.prompt($0.question) }
        var finished = 0
        let generations = try InferenceSession.greedyContinuations(
            of: prompts, model: model, maxNewTokens: maxNewTokens, stopTokenIDs: format.stopTokenIDs, memoryBudget: memoryBudget,
            onFinished: { _, _ in
                finished += 1
                progress(finished)
            }, betweenPasses: betweenPasses)
        return AnswerRecall(items: try zip(questions, generations).map { question, generation in
            let text = try format.tokenizer.decode(generation.tokens, skipSpecialTokens: true)
            return Item(id: question.id, generated: text, recall: RougeL.recall(candidate: text, reference: question.answer))
        })
    }
}
