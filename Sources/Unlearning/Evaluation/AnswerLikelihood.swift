import Foundation
import Model

/// How likely a model finds an answer to a question: the answer's tokens after the prompt, as
/// the model's `ConversationFormat` lays out a training example, scored in batched inference
/// passes (`InferenceSession.tokenLogProbabilities`) with the prompt only as context.
///
/// The EOS that ends a training example is not scored: TOFU's p̄ and truth ratio compare
/// answer texts, and an EOS term would be the same for every answer of a question, diluting
/// the per-token mean by a different amount for answers of different lengths.
public struct AnswerLikelihood: Sendable, Equatable {
    /// log p of each answer token given the prompt and the answer tokens before it.
    public let tokenLogProbabilities: [Double]

    /// The mean token NLL of the answer, −mean of `tokenLogProbabilities`.
    public var meanNLL: Double { -tokenLogProbabilities.reduce(0, +) / Double(tokenLogProbabilities.count) }

    /// p̄(answer | question) = exp(−mean token NLL): the length-normalised probability.
    public var probability: Double { exp(-meanNLL) }

    /// Scores every (question, answer) pair, in order: all of them in one session, ragged and
    /// unpadded, with as many at once as `memoryBudget` bytes of KV cache hold. Only the
    /// answer positions go through the output layer. A first token with nothing before it
    /// (an answer after an empty prompt) has no likelihood and is not scored. An answer that
    /// encodes to no token is an error.
    public static func measure(
        _ pairs: [(question: String, answer: String)], model: LlamaModel, format: ConversationFormat,
        memoryBudget: Int = InferenceSession.defaultMemoryBudget
    ) throws -> [AnswerLikelihood] {
        let sequences = try pairs.enumerated().map { index, pair in
            let example = try format.scoredAnswer(prompt: pair.question, completion: pair.answer)
            guard !example.completion.isEmpty else { throw AnswerLikelihoodError.emptyAnswer(index: index) }
            return (tokens: example.prompt + example.completion, scoredFrom: max(1, example.prompt.count))
        }
        return try InferenceSession.tokenLogProbabilities(of: sequences, model: model, memoryBudget: memoryBudget)
            .map(AnswerLikelihood.init(tokenLogProbabilities:))
    }
}

public enum AnswerLikelihoodError: Error, Equatable, CustomStringConvertible {
    case emptyAnswer(index: Int)

    public var description: String {
        switch self {
        case .emptyAnswer(let index): "answer \(index) encodes to no token, so it has no likelihood"
        }
    }
}
