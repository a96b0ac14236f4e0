/// tokenizer.json's `model` of type `BPE`: the vocabulary, the merges in rank order and the
/// rules for what has no token (`byte_fallback`, `unk_token`, `fuse_unk`). Other model types
/// (`Unigram`, `WordPiece`, `WordLevel`) are refused: different algorithms.
struct BPE: Equatable, Sendable {
    /// `vocab` by id; its ids run 0..<count without gaps.
    var tokens: [String]
    var merges: [MergeRule]
    var ignoresMerges = false
    /// A scalar without a token becomes the `<0xNN>` tokens of its UTF-8 bytes.
    var byteFallback = false
    /// What a scalar without a token (and no byte fallback) becomes; without one it is dropped.
    var unknownToken: String?
    /// Adjacent unknown scalars become one `unk_token`.
    var fusesUnknown = false

    init(tokens: [String], merges: [MergeRule]) {
        self.tokens = tokens
        self.merges = merges
    }

    init(json: JSONField) throws {
        let (name, tag) = try json.typeTag()
        guard name == "BPE" else {
            throw tag.unsupported("Lethe implements BPE models only (not Unigram, WordPiece or WordLevel)")
        }
        if let dropout = json.member("dropout"), try dropout.number() != 0 {
            throw dropout.unsupported("BPE dropout makes encoding random")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let marker = json.member(key), try marker.string() != "" {
                throw marker.unsupported("Lethe implements BPE without word-piece markers")
            }
        }
        let vocabulary = try json.required("vocab")
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
        let ids = Self.ids(of: tokens)
        self.tokens = tokens
        merges = try json.required("merges").array().compactMap { try Self.merge($0, ids: ids) }
        ignoresMerges = try json.flag("ignore_merges", default: false)
        byteFallback = try json.flag("byte_fallback", default: false)
        fusesUnknown = try json.flag("fuse_unk", default: false)
        if let unknownField = json.member("unk_token") {
            let unknown = try unknownField.string()
            guard ids[Array(unknown.utf8)] != nil else { throw unknownField.invalid("is \"\(unknown)\", which is not in model.vocab") }
            unknownToken = unknown
        }
    }

    /// UTF-8 of each token → its id. Keyed by bytes: Swift compares strings by canonical equivalence.
    var idsByToken: [[UInt8]: Int] {
        Self.ids(of: tokens)
    }

    private static func ids(of tokens: [String]) -> [[UInt8]: Int] {
        Dictionary(tokens.enumerated().map { (Array($1.utf8), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// One entry of `merges`, or nil for a `#version` header line.
    private static func merge(_ merge: JSONField, ids: [[UInt8]: Int]) throws -> MergeRule? {
        let left: String, right: String
        switch merge.value {
        case .string(let line):
            // tokenizers skips these header lines of merges.txt, wherever they come from.
            if line.hasPrefix("#version") { return nil }
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
        return MergeRule(left: try id(left), right: try id(right), result: try id(left + right))
    }

    var json: HeaderJSONValue {
        .fields([
            "type": .string("BPE"),
            "dropout": .null,
            "unk_token": unknownToken.map { .string($0) } ?? .null,
            "continuing_subword_prefix": .null,
            "end_of_word_suffix": .null,
            "fuse_unk": .bool(fusesUnknown),
            "byte_fallback": .bool(byteFallback),
            "ignore_merges": .bool(ignoresMerges),
            "vocab": .object(tokens.enumerated().map { HeaderJSONMember(key: $1, value: .integer($0)) }),
            "merges": .array(merges.map { .array([.string(tokens[$0.left]), .string(tokens[$0.right])]) }),
        ])
    }
}

/// One entry of `model.merges`: the two tokens merged and the token they make, by id.
struct MergeRule: Equatable, Sendable {
    var left: Int
    var right: Int
    var result: Int
}
