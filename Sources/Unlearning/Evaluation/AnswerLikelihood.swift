import Foundation
import Kernels
import Model

/// How likely a model finds an answer to a question: the answer's tokens after the prompt, as
/// the model's `ConversationFormat` lays out a training example, scored by batched forward
/// passes with the prompt masked out.
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

    /// How many sequences one forward pass scores: enough to keep the matrix products busy.
    public static let defaultBatchSize = 32

    /// Scores every (question, answer) pair, `batchSize` pairs per forward pass, in order. The
    /// model's activations are overwritten. An answer that encodes to no token is an error.
    public static func measure(
        _ pairs: [(question: String, answer: String)], model: LlamaModel, format: ConversationFormat,
        batchSize: Int = defaultBatchSize
    ) throws -> [AnswerLikelihood] {
        precondition(batchSize > 0, "batchSize must be positive")
        let examples = try pairs.enumerated().map { index, pair in
            let example = try format.scoredAnswer(prompt: pair.question, completion: pair.answer)
            guard !example.completion.isEmpty else { throw AnswerLikelihoodError.emptyAnswer(index: index) }
            return example
        }
        var scored: [AnswerLikelihood] = []
        scored.reserveCapacity(examples.count)
        for first in stride(from: 0, to: examples.count, by: batchSize) {
            let chunk = Array(examples[first..<min(first + batchSize, examples.count)])
            let batch = try TokenBatch(examples: chunk, length: chunk.map(\.tokenCount).max()!, padToken: format.padToken)
            try model.forward(batch)
            model.crossEntropyLoss()
            let losses = model.tokenLosses, T = batch.length
            for b in 0..<chunk.count {
                let answer = (b * T..<(b + 1) * T).filter { batch.targets[$0] != ignoreIndex }.map { -Double(losses[$0]) }
                scored.append(AnswerLikelihood(tokenLogProbabilities: answer))
            }
        }
        return scored
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
