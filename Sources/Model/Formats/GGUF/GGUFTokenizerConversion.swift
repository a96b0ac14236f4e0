/// Rebuilds `tokenizer.json` and `tokenizer_config.json` from a GGUF file's `tokenizer.ggml.*`
/// metadata the way transformers' GGUF loader does (`AutoTokenizer.from_pretrained(dir,
/// gguf_file=...)`, then `save_pretrained`):
/// - `gpt2`: byte-level BPE (GPT2Tokenizer): the vocabulary in the byte alphabet, the file's
///   merges, GPT-2's ByteLevel pre-tokenizer, or the Split regex that `tokenizer.ggml.pre` names
///   followed by ByteLevel without its regex;
/// - `llama`: SentencePiece-style BPE (LlamaTokenizer): Metaspace (prepend "first"), byte
///   fallback, merges from the file or, as llama.cpp files have none, recovered from the scores;
/// - added tokens: BOS/EOS/UNK/PAD and the tokens typed CONTROL as special, USER_DEFINED as not;
/// - a TemplateProcessing post-processor that adds BOS/EOS as `add_bos_token`/`add_eos_token` say.
///
/// Vocabularies hold tokens that differ only in Unicode normalisation ("ά" as U+03AC and as
/// U+03B1 U+0301), which Swift's `String` treats as equal: tokens are therefore keyed by their
/// UTF-8 bytes, and the vocabulary is kept as a list and written by hand.
public struct GGUFTokenizerConversion {
    /// tokenizer.json without `model.vocab`, which is `vocabulary`.
    public let tokenizer: JSONValue
    /// `model.vocab`: each distinct token (by its bytes) with its id, in id order.
    public let vocabulary: [(token: String, id: Int)]
    public let tokenizerConfig: JSONValue

    /// llama.cpp's token types (llama_token_type).
    enum TokenType: Int { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }

    public init(_ file: GGUFFile) throws(GGUFError) {
        let model = try file.string("tokenizer.ggml.model")
        let tokens = try file.strings("tokenizer.ggml.tokens")
        let types = try file.integers("tokenizer.ggml.token_type", required: false)
        guard types.isEmpty || types.count == tokens.count else {
            throw .invalidValue(file: file.path, key: "tokenizer.ggml.token_type", reason: "has \(types.count) entries for \(tokens.count) tokens")
        }
        func specialToken(_ key: String) throws(GGUFError) -> String? {
            guard let value = file.metadata["tokenizer.ggml.\(key)"] else { return nil }
            guard let id = value.intValue, tokens.indices.contains(id) else {
                throw .invalidValue(file: file.path, key: "tokenizer.ggml.\(key)", reason: "is not the id of one of the \(tokens.count) tokens")
            }
            return tokens[id]
        }
        let bos = try specialToken("bos_token_id"), eos = try specialToken("eos_token_id")
        let unk = try specialToken("unknown_token_id"), pad = try specialToken("padding_token_id")
        // llama.cpp adds BOS to a SentencePiece vocabulary that does not say otherwise.
        let addBOS = try file.bool("tokenizer.ggml.add_bos_token") ?? (model == "llama")
        let addEOS = try file.bool("tokenizer.ggml.add_eos_token") ?? false

        var vocabulary: [[UInt8]: Int] = [:]
        var spellings: [String] = []
        var modelJSON: [String: JSONValue]
        var preTokenizer: JSONValue, decoder: JSONValue
        switch model {
        case "gpt2":
            // Tokens outside the byte alphabet (a few files spell some in plain UTF-8) are respelled.
            for (id, token) in tokens.enumerated() {
                let spelled = token.unicodeScalars.allSatisfy { ByteLevelAlphabet.byte(for: $0) != nil }
                spellings.append(spelled ? token : ByteLevelAlphabet.token(for: Array(token.utf8)))
                vocabulary[Array(spellings[id].utf8)] = id
            }
            let merges = try file.strings("tokenizer.ggml.merges", required: false)
            modelJSON = Self.bpeModel(merges: merges.map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) },
                                      affixes: .string(""), fuseUnknown: false, byteFallback: false)
            preTokenizer = Self.byteLevel(useRegex: true)
            let pre = try file.string("tokenizer.ggml.pre", required: false)
            if let pattern = pre.flatMap({ Self.splitPatterns[$0] }) {
                preTokenizer = .object(["type": .string("Sequence"), "pretokenizers": .array([
                    .object(["type": .string("Split"), "pattern": .object(["Regex": .string(pattern)]), "behavior": .string("Isolated"), "invert": .bool(false)]),
                    Self.byteLevel(useRegex: false),
                ])])
            }
            decoder = .object(["type": .string("ByteLevel"), "add_prefix_space": .bool(true), "trim_offsets": .bool(true), "use_regex": .bool(true)])
        case "llama":
            for (id, token) in tokens.enumerated() { vocabulary[Array(token.utf8)] = id }
            spellings = tokens
            let fileMerges = try file.strings("tokenizer.ggml.merges", required: false)
            let merges: [[String]]
            if fileMerges.isEmpty {
                let scores = try file.floats("tokenizer.ggml.scores")
                guard scores.count == tokens.count else {
                    throw .invalidValue(file: file.path, key: "tokenizer.ggml.scores", reason: "has \(scores.count) entries for \(tokens.count) tokens")
                }
                merges = SentencePieceMerges.recover(tokens: tokens, scores: scores, vocabulary: vocabulary)
            } else {
                merges = fileMerges.map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
            }
            modelJSON = Self.bpeModel(merges: merges, affixes: .null, fuseUnknown: true, byteFallback: true)
            preTokenizer = .object(["type": .string("Metaspace"), "replacement": .string("\u{2581}"), "prepend_scheme": .string("first"), "split": .bool(false)])
            decoder = .object(["type": .string("Sequence"), "decoders": .array([
                .object(["type": .string("Replace"), "pattern": .object(["String": .string("\u{2581}")]), "content": .string(" ")]),
                .object(["type": .string("ByteFallback")]), .object(["type": .string("Fuse")]),
                .object(["type": .string("Strip"), "content": .string(" "), "start": .number(1), "stop": .number(0)]),
            ])])
        default:
            throw .invalidValue(file: file.path, key: "tokenizer.ggml.model",
                                reason: "is \"\(model)\"; Lethe rebuilds the tokenizer models \"gpt2\" (byte-level BPE) and \"llama\" (SentencePiece BPE)")
        }

        // Added tokens: the named special tokens, CONTROL tokens (in a byte-level vocabulary
        // only those spelled in its alphabet: others are llama.cpp mislabels), USER_DEFINED ones.
        var added: [(id: Int, content: String, special: Bool)] = []
        var seen = Set<String>()
        func add(_ content: String, special: Bool) {
            guard seen.insert(content).inserted else { return }
            let id = vocabulary[Array(content.utf8)] ?? vocabulary.count + added.filter { vocabulary[Array($0.content.utf8)] == nil }.count
            added.append((id, content, special))
        }
        for case let token? in [bos, eos, unk, pad] { add(token, special: true) }
        for (token, type) in zip(tokens, types) where type == TokenType.control.rawValue {
            if model == "gpt2" && !token.unicodeScalars.allSatisfy({ ByteLevelAlphabet.byte(for: $0) != nil }) { continue }
            add(token, special: true)
        }
        for (token, type) in zip(tokens, types) where type == TokenType.userDefined.rawValue && vocabulary[Array(token.utf8)] != nil {
            add(token, special: false)
        }
        let addedJSON = added.sorted { $0.id < $1.id }.map { token in
            JSONValue.object(["id": .number(Double(token.id)), "content": .string(token.content), "single_word": .bool(false),
                              "lstrip": .bool(false), "rstrip": .bool(false), "normalized": .bool(false), "special": .bool(token.special)])
        }
        func id(_ token: String) -> Int { vocabulary[Array(token.utf8)] ?? added.first { $0.content == token }!.id }

        self.vocabulary = vocabulary.map { (token: spellings[$0.value], id: $0.value) }.sorted { $0.id < $1.id }
        tokenizer = .object([
            "version": .string("1.0"), "truncation": .null, "padding": .null, "added_tokens": .array(addedJSON),
            "normalizer": .null, "pre_tokenizer": preTokenizer,
            "post_processor": Self.templateProcessing(bos: addBOS ? bos.map { ($0, id($0)) } : nil,
                                                      eos: addEOS ? eos.map { ($0, id($0)) } : nil),
            "decoder": decoder, "model": .object(modelJSON),
        ])

        var config: [String: JSONValue] = [
            "tokenizer_class": .string("PreTrainedTokenizerFast"), "clean_up_tokenization_spaces": .bool(false),
            "add_bos_token": .bool(addBOS && bos != nil), "add_eos_token": .bool(addEOS && eos != nil),
        ]
        for (key, token) in [("bos_token", bos), ("eos_token", eos), ("unk_token", unk), ("pad_token", pad)] {
            config[key] = token.map(JSONValue.string) ?? .null
        }
        if let template = try file.string("tokenizer.chat_template", required: false) { config["chat_template"] = .string(template) }
        tokenizerConfig = .object(config)
    }

    /// tokenizer.json's text: `tokenizer` with keys sorted and the vocabulary in id order, laid
    /// out by the tokenizer's own writer.
    public var tokenizerFileText: String {
        String(decoding: TokenizerWriter.json(value: Self.written(tokenizer, vocabulary: vocabulary)), as: UTF8.self) + "\n"
    }

    /// `value` as the writer's ordered JSON: keys sorted, and `vocabulary` (kept as a list, its
    /// tokens keyed by bytes) as the BPE model's `vocab`.
    private static func written(_ value: JSONValue, vocabulary: [(token: String, id: Int)]?) -> HeaderJSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number): return .number(number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)")
        case .string(let string): return .string(string)
        case .array(let items): return .array(items.map { written($0, vocabulary: nil) })
        case .object(let fields):
            let isModel = fields["type"] == .string("BPE") && vocabulary != nil
            var members = fields.map { HeaderJSONMember(key: $0.key, value: written($0.value, vocabulary: $0.key == "model" ? vocabulary : nil)) }
            if isModel, let vocabulary {
                members.append(HeaderJSONMember(key: "vocab", value: .object(vocabulary.map { HeaderJSONMember(key: $0.token, value: .number(String($0.id))) })))
            }
            return .object(members.sorted { $0.key < $1.key })
        }
    }

    /// The Split patterns transformers uses for llama.cpp's `tokenizer.ggml.pre` names; any other
    /// name keeps GPT-2's own ByteLevel regex.
    static let splitPatterns: [String: String] = {
        let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let qwen35 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let tekken = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let gpt4o = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        var patterns: [String: String] = ["tekken": tekken, "qwen35": qwen35]
        for name in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano", "dbrx", "smaug-bpe"] {
            patterns[name] = llama3
        }
        for name in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"] { patterns[name] = qwen2 }
        for name in ["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"] { patterns[name] = gpt4o }
        return patterns
    }()

    private static func byteLevel(useRegex: Bool) -> JSONValue {
        .object(["type": .string("ByteLevel"), "add_prefix_space": .bool(false), "trim_offsets": .bool(true), "use_regex": .bool(useRegex)])
    }

    private static func bpeModel(
        merges: [[String]], affixes: JSONValue, fuseUnknown: Bool, byteFallback: Bool
    ) -> [String: JSONValue] {
        [
            "type": .string("BPE"), "dropout": .null, "unk_token": .null, "continuing_subword_prefix": affixes,
            "end_of_word_suffix": affixes, "fuse_unk": .bool(fuseUnknown), "byte_fallback": .bool(byteFallback),
            "ignore_merges": .bool(false),
            "merges": .array(merges.map { .array($0.map(JSONValue.string)) }),
        ]
    }

    /// transformers' `update_post_processor`: `[BOS] $A [EOS]`, and for pairs the same again
    /// with type id 1.
    private static func templateProcessing(bos: (String, Int)?, eos: (String, Int)?) -> JSONValue {
        func special(_ token: String, _ typeID: Int) -> JSONValue {
            .object(["SpecialToken": .object(["id": .string(token), "type_id": .number(Double(typeID))])])
        }
        func sequence(_ name: String, _ typeID: Int) -> JSONValue {
            .object(["Sequence": .object(["id": .string(name), "type_id": .number(Double(typeID))])])
        }
        func part(_ name: String, _ typeID: Int) -> [JSONValue] {
            (bos.map { [special($0.0, typeID)] } ?? []) + [sequence(name, typeID)] + (eos.map { [special($0.0, typeID)] } ?? [])
        }
        var specials: [String: JSONValue] = [:]
        for (token, id) in [bos, eos].compactMap({ $0 }) {
            specials[token] = .object(["id": .string(token), "ids": .array([.number(Double(id))]), "tokens": .array([.string(token)])])
        }
        return .object(["type": .string("TemplateProcessing"), "single": .array(part("A", 0)), "pair": .array(part("A", 0) + part("B", 1)),
                        "special_tokens": .object(specials)])
    }
}

/// transformers' `generate_merges` with scores: every split of every token into two tokens of
/// the vocabulary is a merge, ranked by the token's score (highest first), then by the lengths
/// of its parts (longest first); ties keep the order in which they were found.
enum SentencePieceMerges {
    static func recover(tokens: [String], scores: [Float], vocabulary: [[UInt8]: Int]) -> [[String]] {
        // A token listed twice keeps its first place and its last score, as a Python dict does.
        var order: [String] = [], scoreOf: [[UInt8]: Float] = [:]
        for (token, score) in zip(tokens, scores) {
            if scoreOf.updateValue(score, forKey: Array(token.utf8)) == nil { order.append(token) }
        }
        var merges: [(left: String, right: String, score: Float, leftLength: Int, rightLength: Int)] = []
        for token in order {
            let scalars = Array(token.unicodeScalars)
            var local: [(left: String, right: String, leftID: Int, rightID: Int, leftLength: Int)] = []
            for cut in scalars.indices.dropFirst() {
                let left = String(String.UnicodeScalarView(scalars[..<cut])), right = String(String.UnicodeScalarView(scalars[cut...]))
                if let leftID = vocabulary[Array(left.utf8)], let rightID = vocabulary[Array(right.utf8)] { local.append((left, right, leftID, rightID, cut)) }
            }
            local.sort { ($0.leftID, $0.rightID) < ($1.leftID, $1.rightID) }
            for merge in local {
                merges.append((merge.left, merge.right, scoreOf[Array(token.utf8)]!, merge.leftLength, scalars.count - merge.leftLength))
            }
        }
        let ranked = merges.indices.sorted { a, b in
            let x = merges[a], y = merges[b]
            if (x.score, x.leftLength, x.rightLength) != (y.score, y.leftLength, y.rightLength) {
                return (x.score, x.leftLength, x.rightLength) > (y.score, y.leftLength, y.rightLength)
            }
            return a < b
        }
        return ranked.map { [merges[$0].left, merges[$0].right] }
    }
}
