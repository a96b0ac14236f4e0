import Foundation
import Model
import Store
import Unlearning

/// A forget or retain item as the model reads it: a question and its answer under the model's
/// prompt template, or a passage (every token of it) after the start of the sequence.
struct ItemText: Sendable, Equatable {
    let prompt: String
    let completion: String
    let isPassage: Bool

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

/// The store's model's tokenizer and prompt template, and what turns items into training
/// examples and forget scores with them.
struct ModelTexts {
    let tokenizer: Tokenizer
    let template: PromptTemplate
    let endOfSequence: Int?
    let contextLength: Int
    /// Batches are padded with this id; padding is masked, so any id in the vocabulary does.
    let padToken: Int

    init(modelFolder: URL, config: LlamaConfig) throws {
        tokenizer = try Tokenizer(modelFolder: modelFolder)
        template = try PromptTemplate(modelFolder: modelFolder)
        endOfSequence = config.eosTokenIDs.first
        contextLength = config.maxPositionEmbeddings
        padToken = tokenizer.id(for: BaseModelRecipe.padding) ?? endOfSequence ?? 0
    }

    private func template(for text: ItemText) -> PromptTemplate { text.isPassage ? .verbatim : template }

    /// The training example of `text`; `fits` says whether the model's context holds it.
    func example(_ text: ItemText) -> SupervisedExample {
        SupervisedExample.answer(text.completion, to: text.prompt, tokenizer: tokenizer, template: template(for: text),
                                 endOfSequence: endOfSequence)
    }

    func fits(_ example: SupervisedExample) -> Bool { example.tokenCount <= contextLength }

    /// `items` split by the template they are read with (questions, then passages).
    private func byTemplate(_ items: some Collection<(id: String, text: ItemText)>)
        -> [(template: PromptTemplate, items: [(id: String, prompt: String, completion: String)])] {
        [false, true].compactMap { isPassage in
            let group = items.filter { $0.text.isPassage == isPassage }
            guard let first = group.first else { return nil }
            return (template(for: first.text), group.map { ($0.id, $0.text.prompt, $0.text.completion) })
        }
    }

    /// p̄ of each item's completion under `model`.
    func probabilities(_ items: [(id: String, text: ItemText)], model: LlamaModel) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for (template, group) in byTemplate(items) {
            let values = try ForgetItemScore.probabilities(group, model: model, tokenizer: tokenizer, template: template)
            for (item, value) in zip(group, values) { result[item.id] = value }
        }
        return result
    }

    /// Each item's forget score under `model`, given its p̄ under the base version; `between`
    /// runs between chunks of items (a shutdown interrupts there).
    func scores(_ items: [(id: String, text: ItemText)], baseProbabilities: [String: Double], model: LlamaModel,
                chunk: Int = 16, between: () throws -> Void) throws -> [String: ForgetItemScore] {
        var result: [String: ForgetItemScore] = [:]
        for start in stride(from: 0, to: items.count, by: chunk) {
            try between()
            for (template, group) in byTemplate(items[start..<min(start + chunk, items.count)]) {
                let measured = try ForgetItemScore.measure(group, baseProbabilities: group.map { baseProbabilities[$0.id] ?? 1 }, model: model,
                                                           tokenizer: tokenizer, template: template)
                for score in measured { result[score.id] = score }
            }
        }
        return result
    }
}
