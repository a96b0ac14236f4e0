/// `Replace`: in each token, every match of `pattern` becomes `content` (SentencePiece-style
/// files: `▁` becomes a space).
struct ReplaceDecoder: Equatable, Sendable {
    var pattern: TextPattern
    var content: [Unicode.Scalar]

    init(json: JSONField) throws {
        let normalizer = try ReplaceNormalizer(json: json)
        pattern = normalizer.pattern
        content = normalizer.content
    }

    var json: HeaderJSONValue {
        .fields(["type": .string("Replace"), "pattern": pattern.json, "content": .string(String(String.UnicodeScalarView(content)))])
    }

    func decode(_ tokens: [String]) -> [String] {
        tokens.map { token in
            String(String.UnicodeScalarView(ReplaceNormalizer.replacing(pattern, with: content, in: Array(token.unicodeScalars))))
        }
    }
}
