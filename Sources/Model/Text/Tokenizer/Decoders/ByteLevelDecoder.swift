/// `ByteLevel`: each token's scalars become the bytes they stand for in GPT-2's alphabet (a
/// token with a scalar outside it, such as an added token with a space, its own UTF-8), all
/// joined and read as UTF-8 with each invalid sequence replaced by U+FFFD, as Rust's
/// `from_utf8_lossy` does. The flags only concern offsets; they are kept to be written back.
struct ByteLevelDecoder: Equatable, Sendable {
    var addsPrefixSpace = true
    var trimsOffsets = true
    var usesRegex = true

    init() {}

    init(json: JSONField) throws {
        addsPrefixSpace = try json.flag("add_prefix_space", default: true)
        trimsOffsets = try json.flag("trim_offsets", default: true)
        usesRegex = try json.flag("use_regex", default: true)
    }

    var json: HeaderJSONValue {
        ByteLevelPreTokenizer.json(addsPrefixSpace: addsPrefixSpace, trimsOffsets: trimsOffsets, usesRegex: usesRegex)
    }

    func decode(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens { bytes += ByteLevelAlphabet.bytes(of: token) ?? Array(token.utf8) }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
