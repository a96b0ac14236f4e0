/// `Replace`: every match of `pattern` becomes `content` (Llama 2: a space becomes `▁`).
struct ReplaceNormalizer: Equatable, Sendable {
    var pattern: TextPattern
    var content: [Unicode.Scalar]

    init(json: JSONField) throws {
        pattern = try TextPattern(json: try json.required("pattern"))
        content = Array(try json.required("content").string().unicodeScalars)
    }

    var json: HeaderJSONValue {
        .fields(["type": .string("Replace"), "pattern": pattern.json, "content": .string(String(String.UnicodeScalarView(content)))])
    }

    func normalize(_ text: inout [Unicode.Scalar]) {
        text = Self.replacing(pattern, with: content, in: text)
    }

    static func replacing(_ pattern: TextPattern, with content: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        for (range, isMatch) in pattern.matches(in: text[...]) {
            if isMatch { result += content } else { result += text[range] }
        }
        return result
    }
}
