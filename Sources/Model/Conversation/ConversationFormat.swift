import Foundation

/// How a model is asked: the one place that turns a prompt into the tokens the model answers
/// after, and a prompt/completion item into a training or scoring example. Every caller
/// (training, evaluation, the gate, `generate`, `score`) goes through it, so what is trained is
/// what is asked.
///
/// A model without a chat template reads the prompt in its `PromptTemplate` (the embedded
/// default's "Question: …\nAnswer:", or the prompt as it is) after the tokenizer's special
/// tokens, and its answer as " " + completion, then the end of sequence.
public struct ConversationFormat: Sendable {
    public let tokenizer: Tokenizer
    public let promptTemplate: PromptTemplate
    /// The token that ends an answer, trained after every completion; nil when the model has none.
    public let endOfSequence: Int?
    /// Batches are right-padded with this id. Padding sits after every real token and is
    /// masked, so which id it is never changes a result.
    public let padToken: Int

    public init(tokenizer: Tokenizer, promptTemplate: PromptTemplate, endOfSequence: Int?) {
        self.tokenizer = tokenizer
        self.promptTemplate = promptTemplate
        self.endOfSequence = endOfSequence
        padToken = endOfSequence ?? 0
    }

    /// A model folder's format: its tokenizer, its prompt template, and the end of sequence of
    /// its config.json (else of its tokenizer).
    public init(modelFolder: URL, config: LlamaConfig) throws {
        let tokenizer = try Tokenizer(modelFolder: modelFolder)
        self.init(tokenizer: tokenizer, promptTemplate: try PromptTemplate(modelFolder: modelFolder),
                  endOfSequence: config.eosTokenIDs.first ?? tokenizer.eosTokenIDs.min())
    }

    /// The same tokenizer reading text as it is: passages (text items) are learned and scored
    /// as a completion of the empty prompt.
    public var verbatim: ConversationFormat {
        ConversationFormat(tokenizer: tokenizer, promptTemplate: .verbatim, endOfSequence: endOfSequence)
    }

    /// The text the model answers after, without the tokenizer's special tokens.
    public func promptText(_ prompt: String) throws -> String {
        promptTemplate.apply(to: prompt)
    }

    /// The tokens the model answers after.
    public func prompt(_ prompt: String) throws -> [Int] {
        tokenizer.encode(try promptText(prompt), addSpecialTokens: true)
    }

    /// The tokens of `completion` as the model says it after `prompt`, without what ends it.
    public func answer(_ completion: String) -> [Int] {
        tokenizer.encode(" " + completion)
    }

    /// `completion` learned as the answer to `prompt`: the prompt is context, the answer and
    /// the end of sequence are the targets.
    public func example(prompt: String, completion: String) throws -> SupervisedExample {
        SupervisedExample(prompt: try self.prompt(prompt), completion: answer(completion) + (endOfSequence.map { [$0] } ?? []))
    }

    /// `completion` scored as the answer to `prompt`: only its own tokens are targets. TOFU's p̄
    /// compares answer texts; a closing token, the same for every answer, would dilute the
    /// per-token mean by a different amount for answers of different lengths.
    public func scoredAnswer(prompt: String, completion: String) throws -> SupervisedExample {
        SupervisedExample(prompt: try self.prompt(prompt), completion: answer(completion))
    }

    /// Where a greedy answer ends.
    public var stopTokenIDs: Set<Int> {
        tokenizer.eosTokenIDs.union(endOfSequence.map { [$0] } ?? [])
    }
}
