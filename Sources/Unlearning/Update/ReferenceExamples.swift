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

    /// The cache of the batch made of example indices `batch`, in order.
    func cache(of batch: [Int]) -> ReferenceCache {
        ReferenceCache(examples: batch.map { examples[$0] }, vocabularySize: vocabularySize)
    }
}
