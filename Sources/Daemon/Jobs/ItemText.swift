import Foundation
import Model
import Store
import Unlearning
import Corpus

/// A forget or retain item as the model reads it: a question and its answer under the model's
/// conversation format, or a passage (every token of it) after the start of the sequence.
struct ItemText: Sendable, Equatable {
    let prompt: String
    let completion: String
    let isPassage: Bool

    init(prompt: String, completion: String, isPassage: Bool) {
        (self.prompt, self.completion, self.isPassage) = (prompt, completion, isPassage)
    }

    init(_ content: RequestItem.Content) {
        switch content {
        case .completion(let prompt, let completion): (self.prompt, self.completion, isPassage) = (prompt, completion, false)
        case .text(let text): (prompt, completion, isPassage) = ("", text, true)
        }
    }

    init(_ item: ForgetItemRecord) {
        switch item.kind {
        case .qa: (prompt, completion, isPassage) = (item.prompt ?? "", item.completion ?? "", false)
        case .text: (prompt, completion, isPassage) = ("", item.text ?? "", true)
        }
    }

    init(_ item: CorpusItem) {
        (prompt, completion, isPassage) = (item.question, item.answer, false)
    }
}

/// The store's model's conversation format, and what turns items into training examples and
/// forget scores with it.
struct ModelTexts {
    let format: ConversationFormat
    let contextLength: Int

    init(modelFolder: URL, config: LlamaConfig) throws {
        format = try ConversationFormat(modelFolder: modelFolder, config: config)
        contextLength = config.maxPositionEmbeddings
    }

    var padToken: Int { format.padToken }

    private func format(for text: ItemText) -> ConversationFormat { text.isPassage ? format.verbatim : format }

    /// The training example of `text`; `fits` says whether the model's context holds it.
    func example(_ text: ItemText) throws -> SupervisedExample {
        try format(for: text).example(prompt: text.prompt, completion: text.completion)
    }

    func fits(_ example: SupervisedExample) -> Bool { example.tokenCount <= contextLength }

    /// `items` split by the format they are read with (questions, then passages).
    private func byFormat(_ items: some Collection<(id: String, text: ItemText)>)
        -> [(format: ConversationFormat, items: [(id: String, prompt: String, completion: String)])] {
        [false, true].compactMap { isPassage in
            let group = items.filter { $0.text.isPassage == isPassage }
            guard let first = group.first else { return nil }
            return (format(for: first.text), group.map { ($0.id, $0.text.prompt, $0.text.completion) })
        }
    }

    /// p̄ of each item's completion under `model`.
    func probabilities(_ items: [(id: String, text: ItemText)], model: LlamaModel) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for (format, group) in byFormat(items) {
            let values = try ForgetItemScore.probabilities(group, model: model, format: format)
            for (item, value) in zip(group, values) { result[item.id] = value }
        }
        return result
    }

    /// `model`'s greedy answers to `prompts` (questions in the model's conversation format).
    func answers(_ prompts: [String], model: LlamaModel) throws -> [String] {
        try AnswerRecall.measure(prompts.enumerated().map { ("\($0.offset)", $0.element, "") }, model: model, format: format)
            .items.map(\.generated)
    }

    /// Each item's forget score under `model`, given its p̄ under the base version. The greedy
    /// answers of all the items (of each format) are one batched generation; `between` runs
    /// before it and between its passes (a shutdown interrupts there).
    func scores(_ items: [(id: String, text: ItemText)], baseProbabilities: [String: Double], model: LlamaModel,
                between: () throws -> Void) throws -> [String: ForgetItemScore] {
        var result: [String: ForgetItemScore] = [:]
        for (format, group) in byFormat(items) {
            try between()
            let measured = try ForgetItemScore.measure(group, baseProbabilities: group.map { baseProbabilities[$0.id] ?? 1 }, model: model,
                                                       format: format, betweenPasses: between)
            for score in measured { result[score.id] = score }
        }
        return result
    }

    /// The fluency of each greedy answer to an item's prompt (`AnswerFluency`), judged by `judge`.
    func fluency(_ answers: [(text: ItemText, generated: String)], judge: LlamaModel) throws -> [Double] {
        var result = [Double](repeating: 0, count: answers.count)
        let asItems = answers.enumerated().map { index, answer in
            (id: "\(index)", text: ItemText(prompt: answer.text.prompt, completion: answer.generated, isPassage: answer.text.isPassage))
        }
        for (format, group) in byFormat(asItems) {
            let values = try AnswerFluency.measure(group.map { ($0.prompt, $0.completion) }, judge: judge, format: format)
            for (item, value) in zip(group, values) { result[Int(item.id)!] = value }
        }
        return result
    }
}
