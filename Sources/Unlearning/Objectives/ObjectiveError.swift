/// Why a loss head cannot score a batch with what it was given.
public enum ObjectiveError: Error, Equatable, CustomStringConvertible {
    /// The logits are not [B·T, V] for the batch.
    case logitsShape(count: Int, tokenCount: Int)
    /// No position of the batch has a counted target, so there is nothing to average.
    case noResponsePositions
    /// The head reads reference data that was not given, or a cache built with less.
    case missingReference(needs: ReferenceCache.Contents)
    /// The cache was built for another batch: its example count or vocabulary differ.
    case referenceShape(cacheExamples: Int, cacheVocabulary: Int, batchExamples: Int, batchVocabulary: Int)
    /// The cache's example at this row has other response targets than the batch's row.
    case referenceTargets(example: Int)
    case invalidParameter(name: String, value: Double)

    public var description: String {
        switch self {
        case .logitsShape(let count, let tokens): "\(count) logits are not [B·T, V] for a batch of \(tokens) tokens"
        case .noResponsePositions: "the batch has no response position (every target is ignoreIndex)"
        case .missingReference(let needs): "the objective needs a reference cache with \(needs.rawValue)"
        case .referenceShape(let examples, let vocabulary, let batchExamples, let batchVocabulary):
            "the reference cache holds \(examples) examples over \(vocabulary) tokens, the batch \(batchExamples) over \(batchVocabulary)"
        case .referenceTargets(let example): "the reference cache's example \(example) has other response tokens than the batch's row"
        case .invalidParameter(let name, let value): "\(name) = \(value) is out of range"
        }
    }
}
