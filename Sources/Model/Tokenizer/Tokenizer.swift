import Foundation

/// A Hugging Face-compatible byte-level BPE tokenizer (the GPT-2, SmolLM, Llama 3 and Qwen2
/// family), read from tokenizer.json: `encode` gives the ids tokenizers'
/// `encode(text, add_special_tokens=…)` gives and `decode` the text its `decode` gives.
/// docs/tokenizer.md lists what is supported. Safe to use from several threads at once.
public final class Tokenizer: Sendable {
    public static let fileName = "tokenizer.json"
    public static let configFileName = "tokenizer_config.json"

    let definition: TokenizerDefinition
    private let vocabulary: TokenVocabulary
    private let merger: BytePairMerger
    /// Added tokens matched in the raw text, and those matched after normalization.
    private let rawTokenMatcher: AddedTokenMatcher
    private let normalizedTokenMatcher: AddedTokenMatcher
    /// What `addSpecialTokens` adds: the file's template, or, when the file has none, one
    /// built from tokenizer_config.json's `add_bos_token` and `add_eos_token`.
    private let template: TemplateProcessing?
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

        // BPE looks tokens up in model.vocab alone, by the bytes they stand for.
        var modelIDsByBytes: [[UInt8]: Int32] = [:]
        for (id, token) in definition.modelTokens.enumerated() {
            if let bytes = ByteLevelAlphabet.bytes(of: token) { modelIDsByBytes[bytes] = Int32(id) }
        }
        let byteSymbolIDs = (0...255).map { modelIDsByBytes[[UInt8($0)]] ?? -1 }
        merger = BytePairMerger(byteSymbolIDs: byteSymbolIDs, merges: definition.merges,
                                wholePreTokenIDs: definition.ignoresMerges ? modelIDsByBytes : nil)

        let raw = definition.addedTokens.filter { !$0.isNormalized }
        let normalized = definition.addedTokens.filter(\.isNormalized)
        rawTokenMatcher = AddedTokenMatcher(tokens: raw, patterns: raw.map(\.content))
        normalizedTokenMatcher = AddedTokenMatcher(
            tokens: normalized,
            patterns: normalized.map { definition.normalizesToNFC ? $0.content.precomposedStringWithCanonicalMapping : $0.content })

        template = definition.template ?? settings.template
        bosTokenID = settings.bosTokenID
        eosTokenIDs = settings.eosTokenIDs
    }

    /// Ids run 0..<vocabularySize.
    public var vocabularySize: Int { vocabulary.tokens.count }

    /// The token as tokenizer.json spells it (byte-level: `Ġthe` for " the"), or nil.
    public func token(for id: Int) -> String? {
        vocabulary.tokens.indices.contains(id) ? vocabulary.tokens[id] : nil
    }

    /// The id of a token spelled as in tokenizer.json, or nil.
    public func id(for token: String) -> Int? {
        vocabulary.id(for: token)
    }

    /// The bytes the token stands for in decoded text (possibly part of a UTF-8 character), or nil.
    public func bytes(for id: Int) -> [UInt8]? {
        vocabulary.bytes(for: id)
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
                    case .text(let range): appendIDs(ofText: normalized[range], to: &ids)
                    }
                }
            }
        }
        guard addSpecialTokens, let template else { return ids }
        return template.apply(to: ids)
    }

    /// The text of `ids`: their bytes joined, bytes that are not valid UTF-8 replaced by
    /// U+FFFD as Rust's `from_utf8_lossy` does. With `skipSpecialTokens`, special added
    /// tokens are left out.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard let tokenBytes = vocabulary.bytes(for: id) else { throw TokenizerError.unknownID(id, vocabularySize: vocabularySize) }
            if skipSpecialTokens, vocabulary.specialIDs.contains(id) { continue }
            bytes += tokenBytes
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes the tokenizer as a tokenizer.json that tokenizers reads (see `TokenizerWriter`).
    public func write(to url: URL) throws {
        try DurableFile.write(TokenizerWriter.json(definition), to: url)
    }

    private func normalize(_ text: ArraySlice<UInt8>) -> [UInt8] {
        // ASCII is its own NFC.
        guard definition.normalizesToNFC, text.contains(where: { $0 >= 0x80 }) else { return Array(text) }
        return Array(String(decoding: text, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
    }

    private func appendIDs(ofText text: ArraySlice<UInt8>, to ids: inout [Int]) {
        let scalars = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
        definition.preTokenizer.forEachPreToken(of: scalars) { merger.appendIDs(of: $0, to: &ids) }
    }
}
