import Foundation

/// How a model is asked: the one place that turns a prompt into the tokens the model answers
/// after, and a prompt/completion item into a training or scoring example. Every caller
/// (training, evaluation, the gate, `generate`, `score`) goes through it, so what is trained is
/// what is asked.
///
/// A model with a chat template is asked as transformers' `apply_chat_template` asks it: the
/// prompt is one user turn rendered with the generation prompt and encoded without the
/// tokenizer's special tokens (the template writes them); the completion is the assistant's
/// turn, and what is learned is its tokens and the token that closes the turn.
///
/// A model without one reads the prompt in its `PromptTemplate` (the embedded default's
/// "Question: …\nAnswer:", or the prompt as it is) after the tokenizer's special tokens, and
/// its answer as " " + completion (encoded in the prompt's context), then the end of sequence.
public struct ConversationFormat: Sendable {
    public enum Style: Sendable {
        case chat(ChatTemplate, specialTokens: [String: String])
        case prompt(PromptTemplate)
    }

    public let tokenizer: Tokenizer
    public let style: Style
    /// The token that ends an answer when the chat template closes a turn with no special token,
    /// and after every completion of a prompt template; nil when the model has none.
    public let endOfSequence: Int?
    /// Batches are right-padded with this id. Padding sits after every real token and is
    /// masked, so which id it is never changes a result.
    public let padToken: Int
    /// The token that closes the assistant's turn of a chat template: the first special token
    /// after the answer, else the end of sequence.
    public let endOfTurn: Int?
    /// The text of every special token, which a chat prompt or answer may not contain.
    private let specialTokenTexts: [String]

    public init(tokenizer: Tokenizer, style: Style, endOfSequence: Int?) throws {
        self.tokenizer = tokenizer
        self.style = style
        self.endOfSequence = endOfSequence
        padToken = endOfSequence ?? 0
        if case .chat(let template, let specialTokens) = style {
            specialTokenTexts = (0..<tokenizer.vocabularySize).filter(tokenizer.isSpecialToken).compactMap(tokenizer.token(for:))
            // A turn of placeholder text shows which token closes the assistant's turn.
            endOfTurn = try Self.chatAnswer(prompt: "Hello", completion: "Hi", template: template, specialTokens: specialTokens,
                                            tokenizer: tokenizer, endOfSequence: endOfSequence).closing.first
        } else {
            (specialTokenTexts, endOfTurn) = ([], nil)
        }
    }

    public init(tokenizer: Tokenizer, promptTemplate: PromptTemplate, endOfSequence: Int?) {
        // A prompt template renders nothing that can fail.
        try! self.init(tokenizer: tokenizer, style: .prompt(promptTemplate), endOfSequence: endOfSequence)
    }

    /// A model folder's format: its chat template (chat_template.jinja or tokenizer_config.json's
    /// `chat_template`), else its prompt template; the end of sequence of its config.json, else
    /// of its tokenizer.
    public init(modelFolder: URL, config: LlamaConfig) throws {
        let tokenizer = try Tokenizer(modelFolder: modelFolder)
        let style: Style = if let template = try ChatTemplate.load(modelFolder: modelFolder) {
            .chat(template, specialTokens: try ChatTemplate.specialTokens(modelFolder: modelFolder))
        } else {
            .prompt(try PromptTemplate(modelFolder: modelFolder))
        }
        try self.init(tokenizer: tokenizer, style: style, endOfSequence: config.eosTokenIDs.first ?? tokenizer.eosTokenIDs.min())
    }

    /// The same tokenizer reading text as it is (`generate --raw`; passages, which are learned
    /// and scored as a completion of the empty prompt).
    public var verbatim: ConversationFormat {
        ConversationFormat(tokenizer: tokenizer, promptTemplate: .verbatim, endOfSequence: endOfSequence)
    }

    /// The text the model answers after. A prompt template's leaves out the special tokens the
    /// tokenizer adds; a chat template writes its own.
    public func promptText(_ prompt: String) throws -> String {
        switch style {
        case .chat(let template, let specialTokens):
            try Self.userTurn(try checked(prompt), template: template, specialTokens: specialTokens)
        case .prompt(let template):
            template.apply(to: prompt)
        }
    }

    /// The tokens the model answers after.
    public func prompt(_ prompt: String) throws -> [Int] {
        switch style {
        case .chat:
            return tokenizer.encode(try promptText(prompt))
        case .prompt(let template):
            let ids = tokenizer.encode(template.apply(to: prompt), addSpecialTokens: true)
            // An empty verbatim prompt (a passage) of a tokenizer that adds no BOS starts at the
            // token that separates documents, so every text token has one before it.
            guard ids.isEmpty, let start = tokenizer.bosTokenID ?? endOfSequence else { return ids }
            return [start]
        }
    }

    /// `completion` learned as the answer to `prompt`: the prompt is context; the answer and the
    /// token that ends it are the targets.
    public func example(prompt: String, completion: String) throws -> SupervisedExample {
        let answer = try answer(prompt: prompt, completion: completion)
        return SupervisedExample(prompt: answer.prompt, completion: answer.completion + answer.closing)
    }

    /// `completion` scored as the answer to `prompt`: only its own tokens are targets. TOFU's p̄
    /// compares answer texts; a closing token, the same for every answer, would dilute the
    /// per-token mean by a different amount for answers of different lengths.
    public func scoredAnswer(prompt: String, completion: String) throws -> SupervisedExample {
        let answer = try answer(prompt: prompt, completion: completion)
        return SupervisedExample(prompt: answer.prompt, completion: answer.completion)
    }

    /// Where a greedy answer ends: the tokenizer's and the model's end of sequence, and the
    /// chat template's end of turn.
    public var stopTokenIDs: Set<Int> {
        tokenizer.eosTokenIDs.union([endOfSequence, endOfTurn].compactMap { $0 })
    }

    private func answer(prompt: String, completion: String) throws -> (prompt: [Int], completion: [Int], closing: [Int]) {
        switch style {
        case .chat(let template, let specialTokens):
            return try Self.chatAnswer(prompt: try checked(prompt), completion: try checked(completion), template: template,
                                       specialTokens: specialTokens, tokenizer: tokenizer, endOfSequence: endOfSequence)
        case .prompt(let template):
            // The answer is encoded with its prompt and taken as the tokens after the prompt's:
            // SentencePiece gives a word after a space its "▁word" token only in context (alone,
            // " word" is "▁", "▁word"). Where the prompt's tokens are no prefix (a tokenizer that
            // appends EOS, an empty prompt standing for BOS), it is encoded alone.
            let promptIDs = try self.prompt(prompt)
            let whole = tokenizer.encode(template.apply(to: prompt) + " " + completion, addSpecialTokens: true)
            let answer = whole.count > promptIDs.count && whole.starts(with: promptIDs)
                ? Array(whole.dropFirst(promptIDs.count)) : tokenizer.encode(" " + completion)
            return (promptIDs, answer, endOfSequence.map { [$0] } ?? [])
        }
    }

    /// `text` unless it holds a special token's text, which would forge the conversation's turns
    /// (and be read as that token).
    private func checked(_ text: String) throws -> String {
        if let token = specialTokenTexts.first(where: { !$0.isEmpty && text.contains($0) }) {
            throw ConversationFormatError.specialTokenInText(token)
        }
        return text
    }

    /// `prompt` as one user turn, with the generation prompt.
    private static func userTurn(_ prompt: String, template: ChatTemplate, specialTokens: [String: String]) throws -> String {
        try template.render(messages: [ChatMessage(role: "user", content: prompt)], addGenerationPrompt: true, specialTokens: specialTokens)
    }

    /// The conversation of one user turn and the assistant's answer, split where the generation
    /// prompt ends: the answer's tokens are those the model says after it, up to the first
    /// special token, which closes the turn (what the template writes after that is not
    /// learned). The whole conversation is encoded at once, as the model reads it in a later
    /// turn, unless its tokens do not begin with the prompt's (a merge across the boundary); then
    /// the answer's text is encoded alone, which for a SentencePiece tokenizer that prepends "▁"
    /// to its input begins the answer with a "▁" the model would not say there.
    private static func chatAnswer(prompt: String, completion: String, template: ChatTemplate, specialTokens: [String: String],
                                   tokenizer: Tokenizer, endOfSequence: Int?) throws -> (prompt: [Int], completion: [Int], closing: [Int]) {
        let promptText = try userTurn(prompt, template: template, specialTokens: specialTokens)
        let conversation = try template.render(
            messages: [ChatMessage(role: "user", content: prompt), ChatMessage(role: "assistant", content: completion)],
            addGenerationPrompt: false, specialTokens: specialTokens)
        guard conversation.utf8.starts(with: promptText.utf8) else { throw ConversationFormatError.answerDoesNotFollowGenerationPrompt }
        let promptIDs = tokenizer.encode(promptText), conversationIDs = tokenizer.encode(conversation)
        let answerIDs = conversationIDs.starts(with: promptIDs)
            ? Array(conversationIDs.dropFirst(promptIDs.count))
            : tokenizer.encode(String(decoding: conversation.utf8.dropFirst(promptText.utf8.count), as: UTF8.self))
        guard let end = answerIDs.firstIndex(where: tokenizer.isSpecialToken) else {
            return (promptIDs, answerIDs, endOfSequence.map { [$0] } ?? [])
        }
        return (promptIDs, Array(answerIDs[..<end]), [answerIDs[end]])
    }
}

public enum ConversationFormatError: Error, Equatable, CustomStringConvertible {
    case answerDoesNotFollowGenerationPrompt
    case specialTokenInText(String)

    public var description: String {
        switch self {
        case .answerDoesNotFollowGenerationPrompt:
            "the chat template renders the assistant's turn differently from its generation prompt, so an answer cannot be "
                + "learned as what the model says after that prompt"
        case .specialTokenInText(let token):
            "a prompt or completion contains the text of the special token \(JSONStringLiteral.quoted(token)), which would be read as that "
                + "token and change the conversation's turns; leave it out"
        }
    }
}
