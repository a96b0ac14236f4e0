import Foundation
import Model

/// The reference model's data for every example of a set, computed once from the parent
/// version before the update moves it, and regrouped into any batch's `ReferenceCache`.
struct ReferenceExamples {
    let vocabularySize: Int
    /// By example index.
    let examples: [ReferenceCache.Example]

    /// Runs `model` over `batching`'s examples (those of `indices`, else all), a batch at a time
    /// in order; `examples` follows that order.
    init(model: LlamaModel, batching: ExampleBatching, indices: [Int]? = nil, contents: ReferenceCache.Contents, padToken: Int) throws {
        let indices = indices ?? Array(batching.examples.indices)
        var examples: [ReferenceCache.Example] = []
        examples.reserveCapacity(indices.count)
        for first in stride(from: 0, to: indices.count, by: batching.batchSize) {
            let batch = Array(indices[first..<min(first + batching.batchSize, indices.count)])
            let cache = try ReferenceCache(model: model, batch: batching.tokenBatch(batch, padToken: padToken), contents: contents)
            examples += cache.examples
        }
        vocabularySize = model.config.vocabSize
        self.examples = examples
    }

    /// p̄ of each example's response under the model: exp of its mean token log-probability.
    var meanProbabilities: [Double] {
        examples.map { exp($0.sequenceLogProbability / Double(max(1, $0.targets.count))) }
    }

    /// The cache of the batch made of example indices `batch`, in order.
    func cache(of batch: [Int]) -> ReferenceCache {
        ReferenceCache(examples: batch.map { examples[$0] }, vocabularySize: vocabularySize)
    }
}
