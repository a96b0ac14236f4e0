/// Everything in a tokenizer.json that decides ids and text, checked and resolved: what the
/// file reader produces, the trainer builds and the writer writes; one value per stage of
/// tokenizers' pipeline. `Tokenizer` derives its lookup tables from it.
struct TokenizerDefinition: Equatable, Sendable {
    var model: BPE
    /// `added_tokens` in file order, their ids checked to be the ones tokenizers gives them.
    var addedTokens: [AddedToken]
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer
    var postProcessor: PostProcessor
    /// Without one, tokenizers joins the tokens with spaces.
    var decoder: TokenDecoder?

    /// What an added token with `normalized` is matched as and shown as: its content
    /// normalized (tokenizers' `id_to_token` gives that too).
    func matchedContent(of token: AddedToken) -> String {
        guard token.isNormalized, let normalizer else { return token.content }
        return normalizer.normalized(token.content)
    }
}
