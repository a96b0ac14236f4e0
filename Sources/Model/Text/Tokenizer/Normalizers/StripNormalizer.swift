/// `Strip`: removes whitespace (Rust's `char::is_whitespace`, the White_Space property) from
/// the start (`strip_left`) and the end (`strip_right`) of the text.
struct StripNormalizer: Equatable, Sendable {
    var left: Bool
    var right: Bool

    init(json: JSONField) throws {
        left = try json.flag("strip_left", default: true)
        right = try json.flag("strip_right", default: true)
    }

    var json: HeaderJSONValue {
        .fields(["type": .string("Strip"), "strip_left": .bool(left), "strip_right": .bool(right)])
    }

    func normalize(_ text: inout [Unicode.Scalar]) {
        if right { while let last = text.last, last.properties.isWhitespace { text.removeLast() } }
        if left, let first = text.firstIndex(where: { !$0.properties.isWhitespace }) {
            text.removeFirst(first)
        } else if left {
            text.removeAll()
        }
    }
}
