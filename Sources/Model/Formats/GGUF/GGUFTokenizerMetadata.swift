import Foundation

/// The `tokenizer.*` metadata of a GGUF file, made from a Hugging Face model folder's
/// tokenizer.json and tokenizer_config.json as `convert_hf_to_gguf.py` makes it for a byte-level
/// BPE (`tokenizer.ggml.model` "gpt2": GPT-2, SmolLM, Llama 3, Qwen2 and the embedded model):
/// the tokens in id order, padded to the model's vocabulary with `[PADn]`; their types (added
/// special tokens CONTROL, other added tokens USER_DEFINED); the merges; the pre-tokenizer's
/// llama.cpp name; BOS/EOS/UNK/PAD ids and whether BOS/EOS are added; the chat template.
/// `GGUFTokenizerConversion` reads these back into the same tokenizer.
enum GGUFTokenizerMetadata {
    static func entries(modelFolder: URL, vocabularySize: Int, config: LlamaConfig) throws -> [(key: String, value: GGUFValue)] {
        let tokenizer = try Tokenizer(modelFolder: modelFolder)
        let definition = tokenizer.definition
        guard definition.preTokenizer.byteLevel != nil else {
            throw GGUFExportError.unsupportedTokenizer(
                "Lethe writes byte-level BPE tokenizers (GPT-2, SmolLM, Llama 3, Qwen2) to GGUF; this model's tokenizer.json is SentencePiece-style")
        }
        guard tokenizer.vocabularySize <= vocabularySize else {
            throw GGUFExportError.unsupportedTokenizer(
                "tokenizer.json has \(tokenizer.vocabularySize) tokens, more than the model's vocabulary of \(vocabularySize)")
        }
        var tokens: [GGUFValue] = [], types: [GGUFValue] = []
        let added = Dictionary(definition.addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for id in 0..<vocabularySize {
            guard let token = tokenizer.token(for: id) else {
                tokens.append(.string("[PAD\(id)]"))
                types.append(.int32(Int32(GGUFTokenizerConversion.TokenType.userDefined.rawValue)))
                continue
            }
            let type: GGUFTokenizerConversion.TokenType = added[id].map { $0.isSpecial ? .control : .userDefined } ?? .normal
            tokens.append(.string(token))
            types.append(.int32(Int32(type.rawValue)))
        }
        let modelTokens = definition.model.tokens
        let merges = definition.model.merges.map { GGUFValue.string("\(modelTokens[$0.left]) \(modelTokens[$0.right])") }

        var entries: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(preTokenizerName(definition.preTokenizer))),
            ("tokenizer.ggml.tokens", .array(tokens)),
            ("tokenizer.ggml.token_type", .array(types)),
            ("tokenizer.ggml.merges", .array(merges)),
        ]
        let settings = try tokenizerConfig(in: modelFolder)
        let bos = tokenizer.bosTokenID ?? config.bosTokenID
        let eos = config.eosTokenIDs.first ?? tokenizer.eosTokenIDs.min()
        let pad = settings["pad_token"]?.stringValue.flatMap(tokenizer.id(for:)) ?? config.fields["pad_token_id"]?.intValue
        let unknown = settings["unk_token"]?.stringValue.flatMap(tokenizer.id(for:))
        for (key, id) in [("bos_token_id", bos), ("eos_token_id", eos), ("unknown_token_id", unknown), ("padding_token_id", pad)] {
            if let id { entries.append(("tokenizer.ggml.\(key)", .uint32(UInt32(id)))) }
        }
        // What `encode(addSpecialTokens: true)` adds around a text, as llama.cpp's flags.
        let plain = tokenizer.encode("a"), special = tokenizer.encode("a", addSpecialTokens: true)
        entries.append(("tokenizer.ggml.add_bos_token", .bool(bos != nil && special.first == bos && plain.first != bos)))
        entries.append(("tokenizer.ggml.add_eos_token", .bool(eos != nil && special.last == eos && plain.last != eos)))
        if let template = settings["chat_template"]?.stringValue { entries.append(("tokenizer.chat_template", .string(template))) }
        return entries
    }

    /// llama.cpp's name for the pre-tokenizer: the name `GGUFTokenizerConversion` reads back as
    /// this Split pattern, "smollm" for single digits before GPT-2's regex, else "gpt2".
    static func preTokenizerName(_ preTokenizer: PreTokenizer) -> String {
        for step in preTokenizer.steps {
            switch step {
            case .split(let split):
                guard case .regex(let pattern) = split.pattern else { continue }
                let preferred = ["llama-bpe", "qwen2"]
                if let name = preferred.first(where: { GGUFTokenizerConversion.splitPatterns[$0] == pattern.rawValue }) { return name }
            case .digits(let digits) where digits.individually:
                return "smollm"
            default:
                continue
            }
        }
        return "gpt2"
    }

    private static func tokenizerConfig(in folder: URL) throws -> [String: JSONValue] {
        let url = folder.appendingPathComponent(Tokenizer.configFileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url)).objectValue ?? [:]
    }
}
