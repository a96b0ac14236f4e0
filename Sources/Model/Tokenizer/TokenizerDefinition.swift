/// One entry of `model.merges`: the two tokens merged and the token they make, by id.
struct MergeRule: Equatable, Sendable {
    var left: Int
    var right: Int
    var result: Int
}

/// Everything in a tokenizer.json that decides ids, checked and resolved to ids: what the
/// file reader produces, the trainer builds and the writer writes. `Tokenizer` derives its
/// lookup tables from it.
struct TokenizerDefinition: Equatable, Sendable {
    /// `model.vocab` by id; its ids run 0..<count without gaps.
    var modelTokens: [String]
    /// `model.merges` in rank order.
    var merges: [MergeRule]
    /// `model.ignore_merges`.
    var ignoresMerges: Bool
    /// `added_tokens` in file order, their ids checked to be the ones tokenizers gives them.
    var addedTokens: [AddedToken]
    /// `normalizer` is NFC (or a sequence of NFCs) rather than null.
    var normalizesToNFC: Bool
    var preTokenizer: PreTokenizer
    var postProcessor: [PostProcessorStep]

    /// The template among the post-processor steps (reading accepts at most one).
    var template: TemplateProcessing? {
        postProcessor.lazy.compactMap(\.template).first
    }
}
