/// `ByteLevel`: GPT-2's pre-tokenizer, last in the sequence. Each piece gets a leading space
/// (`add_prefix_space`; after a `Split` that is every piece, as in tokenizers), is split with
/// the GPT-2 pattern (`use_regex`), and each part goes to the model as the bytes its
/// byte-level alphabet scalars stand for (`ByteLevelAlphabet`).
struct ByteLevelPreTokenizer: Equatable, Sendable {
    var addsPrefixSpace: Bool
    var splitsWithGPT2Pattern: Bool
    /// Only changes offsets; kept to be written back.
    var trimsOffsets = true

    init(addsPrefixSpace: Bool, splitsWithGPT2Pattern: Bool) {
        self.addsPrefixSpace = addsPrefixSpace
        self.splitsWithGPT2Pattern = splitsWithGPT2Pattern
    }

    init(json: JSONField) throws {
        addsPrefixSpace = try json.flag("add_prefix_space", default: true)
        splitsWithGPT2Pattern = try json.flag("use_regex", default: true)
        trimsOffsets = try json.flag("trim_offsets", default: true)
    }

    var json: HeaderJSONValue {
        Self.json(addsPrefixSpace: addsPrefixSpace, trimsOffsets: trimsOffsets, usesRegex: splitsWithGPT2Pattern)
    }

    /// The `{"type": "ByteLevel", …}` object the pre-tokenizer, post-processor and decoder share.
    static func json(addsPrefixSpace: Bool, trimsOffsets: Bool, usesRegex: Bool) -> HeaderJSONValue {
        .fields([
            "type": .string("ByteLevel"), "add_prefix_space": .bool(addsPrefixSpace),
            "trim_offsets": .bool(trimsOffsets), "use_regex": .bool(usesRegex),
        ])
    }

    func forEachPreToken(of text: PreTokenizedText, _ body: ([UInt8]) -> Void) {
        var matches: [Range<Int>] = []
        var bytes: [UInt8] = []
        for piece in text.pieces where !piece.isEmpty {
            var scalars = text.scalars[piece]
            if addsPrefixSpace, scalars.first != " " { scalars = [" "] + scalars }
            matches.removeAll(keepingCapacity: true)
            if splitsWithGPT2Pattern { SplitPattern.gpt2.split(scalars, into: &matches) } else { matches.append(scalars.indices) }
            for match in matches {
                bytes.removeAll(keepingCapacity: true)
                for scalar in scalars[match] { UTF8.encode(scalar) { bytes.append($0) } }
                body(bytes)
            }
        }
    }
}
