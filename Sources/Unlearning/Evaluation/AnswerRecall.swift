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
    /// `maxNewTokens` tokens; `progress` gets the count done after each item.
    public static func measure(
        _ questions: [(id: String, question: String, answer: String)], model: LlamaModel, format: ConversationFormat,
        maxNewTokens: Int = 64, progress: (Int) -> Void = { _ in }
    ) throws -> AnswerRecall {
        let session = try InferenceSession(model: model)
        let options = GenerationOptions(maxNewTokens: maxNewTokens, sampling: .greedy, stopTokenIDs: format.stopTokenIDs)
        var scored: [Item] = []
        for (index, question) in questions.enumerated() {
            let prompt = try format.prompt(question.question)
            let generation = try session.generate(prompt: prompt, options: options) { _ in true }
            let text = try format.tokenizer.decode(generation.tokens, skipSpecialTokens: true)
            scored.append(Item(id: question.id, generated: text, recall: RougeL.recall(candidate: text, reference: question.answer)))
            progress(index + 1)
        }
        return AnswerRecall(items: scored)
    }
}
