import Foundation

extension TokenizerDefinition {
    /// Reads a tokenizer.json as tokenizers writes it for the byte-level BPE family (GPT-2,
    /// SmolLM, Llama 3, Qwen2). Anything that would make Lethe's ids differ from tokenizers'
    /// is rejected with an error naming the file, the field and the value.
    init(contentsOf url: URL) throws {
        let root = try JSONField.document(contentsOf: url)
        if let version = root.member("version"), try version.string() != "1.0" {
            throw version.unsupported("tokenizers reads only version \"1.0\"")
        }
        for key in ["truncation", "padding"] {
            if let field = root.member(key) { throw field.unsupported("Lethe encodes whole texts; set it to null") }
        }
        let model = try Self.bytePairModel(try root.required("model"))
        modelTokens = model.tokens
        merges = model.merges
        ignoresMerges = model.ignoresMerges
        addedTokens = try Self.addedTokens(root.member("added_tokens"), modelIDs: model.ids)
        normalizesToNFC = try Self.normalizesToNFC(root.member("normalizer"))
        preTokenizer = try Self.preTokenizer(root.member("pre_tokenizer"), in: root)
        let vocabularySize = max(modelTokens.count, (addedTokens.map(\.id).max() ?? -1) + 1)
        postProcessor = try Self.postProcessor(root.member("post_processor"), vocabularySize: vocabularySize)
        if postProcessor.compactMap(\.template).count > 1 {
            throw TokenizerError.unsupported(file: root.file, field: "post_processor", value: "{…}",
                                             reason: "it has more than one TemplateProcessing")
        }
        guard let decoder = root.member("decoder") else {
            throw TokenizerError.unsupported(file: root.file, field: "decoder", value: "null", reason: "byte-level BPE decodes with ByteLevel")
        }
        let decoderType = try decoder.required("type")
        guard try decoderType.string() == "ByteLevel" else { throw decoderType.unsupported("byte-level BPE decodes with ByteLevel") }
    }

    private struct BytePairModel {
        var tokens: [String]
        /// UTF-8 of each token → its id. Keyed by bytes: Swift compares strings by canonical equivalence.
        var ids: [[UInt8]: Int]
        var merges: [MergeRule]
        var ignoresMerges: Bool
    }

    private static func bytePairModel(_ model: JSONField) throws -> BytePairModel {
        let type = try model.required("type")
        guard try type.string() == "BPE" else {
            throw type.unsupported("only byte-level BPE models are implemented (not Unigram, WordPiece or WordLevel)")
        }
        if let dropout = model.member("dropout"), try dropout.number() != 0 {
            throw dropout.unsupported("BPE dropout makes encoding random")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let marker = model.member(key), try marker.string() != "" {
                throw marker.unsupported("byte-level BPE marks no word pieces")
            }
        }
        if let byteFallback = model.member("byte_fallback"), try byteFallback.bool() {
            throw byteFallback.unsupported("byte fallback belongs to SentencePiece-style vocabularies; byte-level BPE has a token for every byte")
        }

        let vocabulary = try model.required("vocab")
        let entries = try vocabulary.members()
        var tokensByID = [String?](repeating: nil, count: entries.count)
        for (token, idField) in entries {
            let id = try idField.integer()
            guard tokensByID.indices.contains(id) else {
                throw idField.invalid("is \(id); ids must run 0..<\(entries.count) without gaps")
            }
            if let other = tokensByID[id] { throw idField.invalid("is \(id), which \"\(other)\" has too") }
            tokensByID[id] = token
        }
        // As many distinct ids as slots, so every slot is filled.
        let tokens = tokensByID.compactMap { $0 }
        let ids = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { (Array($1.utf8), $0) })
        for byte in UInt8.min...UInt8.max where Self.occursInUTF8(byte) {
            let symbol = ByteLevelAlphabet.token(for: [byte])
            guard ids[Array(symbol.utf8)] != nil else {
                throw TokenizerError.unsupported(
                    file: vocabulary.file, field: vocabulary.path, value: "a vocabulary without \"\(symbol)\" (byte \(String(format: "0x%02X", byte)))",
                    reason: "text with that byte would need model.unk_token; byte-level BPE vocabularies hold all 256 byte tokens")
            }
        }

        var merges: [MergeRule] = []
        for merge in try model.required("merges").array() {
            let left: String, right: String
            switch merge.value {
            case .string(let line):
                // tokenizers skips these header lines of merges.txt, wherever they come from.
                if line.hasPrefix("#version") { continue }
                let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw merge.invalid("must be two tokens separated by one space") }
                (left, right) = (String(parts[0]), String(parts[1]))
            case .array(let pair) where pair.count == 2:
                let pair = try merge.array()
                (left, right) = (try pair[0].string(), try pair[1].string())
            default:
                throw merge.invalid("must be \"left right\" or [\"left\", \"right\"]")
            }
            func id(_ token: String) throws -> Int {
                guard let id = ids[Array(token.utf8)] else { throw merge.invalid("names \"\(token)\", which is not in model.vocab") }
                return id
            }
            merges.append(MergeRule(left: try id(left), right: try id(right), result: try id(left + right)))
        }
        return BytePairModel(tokens: tokens, ids: ids, merges: merges, ignoresMerges: try model.flag("ignore_merges", default: false))
    }

    /// Whether `byte` can be part of UTF-8 text (all but C0, C1 and F5…FF); text never needs
    /// a token for the others.
    private static func occursInUTF8(_ byte: UInt8) -> Bool {
        byte < 0xC0 || (0xC2...0xF4).contains(byte)
    }

    /// The added tokens, each id checked against the one tokenizers assigns on loading (it
    /// ignores the file's): the model's id for a token in model.vocab, else the next id after
    /// the vocabulary, in file order.
    private static func addedTokens(_ list: JSONField?, modelIDs: [[UInt8]: Int]) throws -> [AddedToken] {
        var tokens: [AddedToken] = []
        var seen = Set<[UInt8]>()
        var nextID = modelIDs.count
        for field in try list?.array() ?? [] {
            let contentField = try field.required("content")
            let content = try contentField.string()
            let utf8 = Array(content.utf8)
            guard !content.isEmpty else { throw contentField.invalid("is empty") }
            guard seen.insert(utf8).inserted else { throw contentField.invalid("repeats \"\(content)\", an earlier added token") }
            let expectedID: Int
            if let modelID = modelIDs[utf8] {
                expectedID = modelID
            } else {
                expectedID = nextID
                nextID += 1
            }
            let idField = try field.required("id")
            let id = try idField.integer()
            guard id == expectedID else {
                throw idField.invalid("is \(id), but tokenizers gives \"\(content)\" id \(expectedID) (its id in model.vocab, else the next free one after it)")
            }
            let isSpecial = try field.flag("special", default: false)
            tokens.append(AddedToken(
                id: id, content: content, isSpecial: isSpecial,
                isSingleWord: try field.flag("single_word", default: false),
                stripsLeft: try field.flag("lstrip", default: false),
                stripsRight: try field.flag("rstrip", default: false),
                isNormalized: try field.flag("normalized", default: !isSpecial)))
        }
        return tokens
    }

    private static func normalizesToNFC(_ normalizer: JSONField?) throws -> Bool {
        guard let normalizer else { return false }
        let type = try normalizer.required("type")
        switch try type.string() {
        case "NFC":
            return true
        case "Sequence":
            var normalizes = false
            for element in try normalizer.required("normalizers").array() {
                normalizes = try normalizesToNFC(element) || normalizes
            }
            return normalizes
        default:
            throw type.unsupported("Lethe implements NFC normalization or none")
        }
    }

    private static func preTokenizer(_ preTokenizer: JSONField?, in root: JSONField) throws -> PreTokenizer {
        let byteLevelNeeded = "byte-level BPE needs a ByteLevel pre-tokenizer, last"
        guard let preTokenizer else {
            throw TokenizerError.unsupported(file: root.file, field: "pre_tokenizer", value: "null", reason: byteLevelNeeded)
        }
        var steps: [PreTokenizer.Step] = []
        var byteLevel: PreTokenizer?
        func read(_ field: JSONField) throws {
            let type = try field.required("type")
            let name = try type.string()
            if byteLevel != nil, name != "Sequence" {
                throw type.unsupported("it comes after ByteLevel, which must be the last pre-tokenizer")
            }
            switch name {
            case "Sequence":
                for element in try field.required("pretokenizers").array() { try read(element) }
            case "ByteLevel":
                byteLevel = PreTokenizer(steps: steps, addsPrefixSpace: try field.flag("add_prefix_space", default: true),
                                         splitsWithGPT2Pattern: try field.flag("use_regex", default: true))
            case "Split":
                steps.append(.split(try splitPattern(field)))
            case "Digits":
                steps.append(.digits(individually: try field.flag("individual_digits", default: false)))
            default:
                throw type.unsupported("byte-level BPE pre-tokenizers are ByteLevel, Split, Digits and Sequence")
            }
        }
        try read(preTokenizer)
        guard let byteLevel else { throw preTokenizer.unsupported(byteLevelNeeded) }
        return byteLevel
    }

    private static func splitPattern(_ split: JSONField) throws -> SplitPattern {
        let pattern = try split.required("pattern")
        guard let regex = pattern.member("Regex") else {
            throw pattern.unsupported("only the known Regex patterns are implemented, not a String pattern")
        }
        guard let known = SplitPattern(rawValue: try regex.string()) else {
            throw regex.unsupported("Lethe implements the GPT-2, Llama 3 and Qwen2 patterns, each by a hand-written scanner")
        }
        let behavior = try split.required("behavior")
        guard try behavior.string() == "Isolated" else {
            throw behavior.unsupported("Lethe implements Split with behavior \"Isolated\"")
        }
        if let invert = split.member("invert"), try invert.bool() {
            throw invert.unsupported("Lethe implements Split without inversion")
        }
        return known
    }

    private static func postProcessor(_ processor: JSONField?, vocabularySize: Int) throws -> [PostProcessorStep] {
        guard let processor else { return [] }
        let type = try processor.required("type")
        switch try type.string() {
        case "ByteLevel":
            return [.byteLevel]
        case "TemplateProcessing":
            return [.template(try template(processor, vocabularySize: vocabularySize))]
        case "Sequence":
            return try processor.required("processors").array().flatMap { try postProcessor($0, vocabularySize: vocabularySize) }
        default:
            throw type.unsupported("Lethe implements the ByteLevel, TemplateProcessing and Sequence post-processors")
        }
    }

    private static func template(_ processor: JSONField, vocabularySize: Int) throws -> TemplateProcessing {
        var specialTokens: [TemplateProcessing.SpecialToken] = []
        for (name, entry) in try processor.required("special_tokens").members() {
            let ids = try entry.required("ids").array().map { idField in
                let id = try idField.integer()
                guard (0..<vocabularySize).contains(id) else { throw idField.invalid("is \(id), outside the vocabulary (0..<\(vocabularySize))") }
                return id
            }
            specialTokens.append(.init(name: name, ids: ids, tokens: try entry.required("tokens").array().map { try $0.string() }))
        }
        func pieces(_ elements: [JSONField]) throws -> [TemplateProcessing.Piece] {
            try elements.map { element in
                if let sequence = element.member("Sequence") {
                    return .sequence(name: try sequence.required("id").string(), typeID: try sequence.required("type_id").integer())
                }
                if let special = element.member("SpecialToken") {
                    let nameField = try special.required("id")
                    let name = try nameField.string()
                    guard specialTokens.contains(where: { $0.name == name }) else {
                        throw nameField.invalid("names \"\(name)\", which is not in special_tokens")
                    }
                    return .specialToken(name: name, typeID: try special.required("type_id").integer())
                }
                throw element.invalid("must be {\"Sequence\": …} or {\"SpecialToken\": …}")
            }
        }
        let singleField = try processor.required("single")
        let single = try pieces(try singleField.array())
        for (index, piece) in single.enumerated() {
            if case .sequence(let name, _) = piece, name != "A" {
                throw TokenizerError.unsupported(file: processor.file, field: "\(singleField.path)[\(index)]", value: "$\(name)",
                                                 reason: "a single-sequence template holds $A only")
            }
        }
        return TemplateProcessing(single: single, pair: try pieces(processor.member("pair")?.array() ?? []), specialTokens: specialTokens)
    }
}
