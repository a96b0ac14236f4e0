import Foundation

/// A Hugging Face tokenizer read from tokenizer.json, byte-level BPE (GPT-2, SmolLM, Llama 3,
/// Qwen2) or SentencePiece-style BPE (Llama 2, Mistral, Phi-3): `encode` gives the ids
/// tokenizers' `encode(text, add_special_tokens=…)` gives and `decode` the text its `decode`
/// gives. The stages are tokenizers' own: added tokens, normalizer, pre-tokenizer, model,
/// post-processor; decoder. docs/tokenizer.md lists what is supported. Safe to use from
/// several threads at once.
public final class Tokenizer: Sendable {
    public static let fileName = "tokenizer.json"
    public static let configFileName = "tokenizer_config.json"

    let definition: TokenizerDefinition
    private let vocabulary: TokenVocabulary
    private let encoder: BPEEncoder
    /// Added tokens matched in the raw text, and those matched after normalization.
    private let rawTokenMatcher: AddedTokenMatcher
    private let normalizedTokenMatcher: AddedTokenMatcher
    /// What `addSpecialTokens` adds: the file's template, or, when the file has none, one
    /// built from tokenizer_config.json's `add_bos_token` and `add_eos_token`.
    private let specialTokenProcessor: PostProcessor
    public let bosTokenID: Int?
    public let eosTokenIDs: Set<Int>

    /// Reads a tokenizer.json and, when given, the tokenizer_config.json beside it.
    public convenience init(file: URL, configFile: URL? = nil) throws {
        try self.init(file: file, configFile: configFile, modelConfigFile: nil)
    }

    /// Reads a model folder's tokenizer.json, and its tokenizer_config.json and config.json
    /// when they exist.
    public convenience init(modelFolder: URL) throws {
        func existing(_ name: String) -> URL? {
            let url = modelFolder.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        try self.init(file: modelFolder.appendingPathComponent(Self.fileName), configFile: existing(Self.configFileName),
                      modelConfigFile: existing(ModelFolder.configFile))
    }

    private convenience init(file: URL, configFile: URL?, modelConfigFile: URL?) throws {
        let definition = try TokenizerDefinition(contentsOf: file)
        let vocabulary = TokenVocabulary(definition)
        let settings = try SpecialTokenSettings(tokenizerConfig: configFile, modelConfig: modelConfigFile, vocabulary: vocabulary)
        self.init(definition: definition, vocabulary: vocabulary, settings: settings)
    }

    /// `definition` must be valid, as reading a file or training makes it.
    init(definition: TokenizerDefinition, vocabulary: TokenVocabulary? = nil, settings: SpecialTokenSettings = SpecialTokenSettings()) {
        self.definition = definition
        self.vocabulary = vocabulary ?? TokenVocabulary(definition)

        encoder = BPEEncoder(definition.model, byteLevel: definition.preTokenizer.byteLevel != nil)
        let raw = definition.addedTokens.filter { !$0.isNormalized }
        let normalized = definition.addedTokens.filter(\.isNormalized)
        rawTokenMatcher = AddedTokenMatcher(tokens: raw, patterns: raw.map(\.content))
        normalizedTokenMatcher = AddedTokenMatcher(tokens: normalized, patterns: normalized.map(definition.matchedContent))
        specialTokenProcessor = definition.postProcessor.hasTemplate
            ? definition.postProcessor : PostProcessor(steps: settings.template.map { [.template($0)] } ?? [])
        bosTokenID = settings.bosTokenID
        eosTokenIDs = settings.eosTokenIDs
    }

    /// Ids run 0..<vocabularySize.
    public var vocabularySize: Int { vocabulary.tokens.count }

    /// The token as tokenizer.json spells it (byte-level: `Ġthe` for " the"; SentencePiece:
    /// `▁the`), or nil.
    public func token(for id: Int) -> String? {
        vocabulary.tokens.indices.contains(id) ? vocabulary.tokens[id] : nil
    }

    /// The id of a token spelled as in tokenizer.json, or nil.
    public func id(for token: String) -> Int? {
        vocabulary.id(for: token)
    }

    /// The bytes the token stands for in decoded text (possibly part of a UTF-8 character):
    /// what the decoder makes of it alone, without stripping a first token's space
    /// (`TokenDecoder.bytes(ofToken:)`); nil for an unknown id.
    public func bytes(for id: Int) -> [UInt8]? {
        guard let token = token(for: id) else { return nil }
        return definition.decoder?.bytes(ofToken: token) ?? Array(token.utf8)
    }

    /// Whether `id` is a special added token (what `skipSpecialTokens` leaves out of decoded text).
    public func isSpecialToken(_ id: Int) -> Bool {
        vocabulary.specialIDs.contains(id)
    }

    /// The token ids of `text`: added tokens found first, in the raw text and then in the
    /// normalized rest, the text between them normalized, pre-tokenized and byte-pair
    /// encoded; with `addSpecialTokens`, placed in the post-processor's template.
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var ids: [Int] = []
        let raw = Array(text.utf8)
        for segment in rawTokenMatcher.segments(of: raw) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let normalized = normalize(raw[range])
                for inner in normalizedTokenMatcher.segments(of: normalized) {
                    switch inner {
                    case .token(let id): ids.append(id)
                    case .text(let innerRange):
                        appendIDs(ofText: normalized[innerRange], startsInput: range.lowerBound == 0 && innerRange.lowerBound == 0, to: &ids)
                    }
                }
            }
        }
        return addSpecialTokens ? specialTokenProcessor.apply(to: ids) : ids
    }

    /// The text of `ids`: their tokens through the decoder (joined with spaces when the file
    /// has none, as tokenizers does). With `skipSpecialTokens`, special added tokens are left out.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(for: id) else { throw TokenizerError.unknownID(id, vocabularySize: vocabularySize) }
            if skipSpecialTokens, vocabulary.specialIDs.contains(id) { continue }
            tokens.append(token)
        }
        guard let decoder = definition.decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens).joined()
    }

    /// Writes the tokenizer as a tokenizer.json that tokenizers reads (see `TokenizerWriter`).
    public func write(to url: URL) throws {
        try DurableFile.write(TokenizerWriter.json(definition), to: url)
    }

    private func normalize(_ text: ArraySlice<UInt8>) -> [UInt8] {
        guard let normalizer = definition.normalizer else { return Array(text) }
        var scalars = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
        normalizer.normalize(&scalars)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for scalar in scalars { UTF8.encode(scalar) { bytes.append($0) } }
        return bytes
    }

    /// `startsInput`: nothing came before `text` in the encoded text (no added token).
    private func appendIDs(ofText text: ArraySlice<UInt8>, startsInput: Bool, to ids: inout [Int]) {
        let scalars = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
        definition.preTokenizer.forEachPreToken(of: scalars, startsInput: startsInput) { encoder.appendIDs(of: $0, to: &ids) }
    }
}
