import Foundation
import Model

/// The reference model's data for every example of a set, computed once from the parent
/// version before the update moves it, and regrouped into any batch's `ReferenceCache`.
struct ReferenceExamples {
    let vocabularySize: Int
    /// By example index.
    let examples: [ReferenceCache.Example]

    /// Runs `model` over `batching`'s examples, a batch at a time in index order.
    init(model: LlamaModel, batching: ExampleBatching, contents: ReferenceCache.Contents, padToken: Int) throws {
        var examples: [ReferenceCache.Example] = []
        examples.reserveCapacity(batching.examples.count)
        for first in stride(from: 0, to: batching.examples.count, by: batching.batchSize) {
            let indices = Array(first..<min(first + batching.batchSize, batching.examples.count))
            let cache = try ReferenceCache(model: model, batch: batching.tokenBatch(indices, padToken: padToken), contents: contents)
            examples += cache.examples
        }
        vocabularySize = model.config.vocabSize
        self.examples = examples
    }

    /// p̄ of each example's answer text under the model: exp of its mean token log-probability,
    /// a final token of `endTokens` left out as the gate's likelihood leaves it out (an update
    /// that suppresses the end of the answer would otherwise seem to forget the answer).
    func answerProbabilities(endTokens: Set<Int>) -> [Double] {
        examples.map { example in
            let dropsEnd = example.targets.count > 1 && endTokens.contains(Int(example.targets.last!))
            let sum = example.sequenceLogProbability - (dropsEnd ? example.finalLogProbability : 0)
            return exp(sum / Double(max(1, example.targets.count - (dropsEnd ? 1 : 0))))
        }
    }

    /// The cache of the batch made of example indices `batch`, in order.
    func cache(of batch: [Int]) -> ReferenceCache {
        ReferenceCache(examples: batch.map { examples[$0] }, vocabularySize: vocabularySize)
    }
}
