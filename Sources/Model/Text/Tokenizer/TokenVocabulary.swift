/// The id ↔ token tables of a tokenizer, `model.vocab` and `added_tokens` together, as
/// tokenizers answers `id_to_token` and `token_to_id`.
struct TokenVocabulary: Sendable {
    /// Each id's token: an added token's content (normalized when it is matched normalized),
    /// else model.vocab's string.
    let tokens: [String]
    /// UTF-8 of a token → id, added tokens first. Keyed by bytes: Swift compares strings by
    /// canonical equivalence, tokenizers by bytes.
    private let idsByToken: [[UInt8]: Int]
    /// Ids whose token is the content of a special added token: the ones decoding may skip.
    let specialIDs: Set<Int>

    init(_ definition: TokenizerDefinition) {
        var tokens = definition.model.tokens
        var idsByToken = definition.model.idsByToken
        // Loading checked that an added token's id is its model.vocab id or the next one.
        for token in definition.addedTokens {
            let shown = definition.matchedContent(of: token)
            if token.id == tokens.count { tokens.append(shown) } else { tokens[token.id] = shown }
            idsByToken[Array(token.content.utf8)] = token.id
        }
        let specialContents = Set(definition.addedTokens.filter(\.isSpecial).map { Array($0.content.utf8) })
        self.tokens = tokens
        self.idsByToken = idsByToken
        specialIDs = Set(tokens.indices.filter { specialContents.contains(Array(tokens[$0].utf8)) })
    }

    func id(for token: String) -> Int? {
        idsByToken[Array(token.utf8)]
    }
}
