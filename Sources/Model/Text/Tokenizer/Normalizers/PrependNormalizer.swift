/// `Prepend`: puts `prepend` before a text that is not empty (Llama 2's `▁`).
struct PrependNormalizer: Equatable, Sendable {
    var prepend: [Unicode.Scalar]

    init(json: JSONField) throws {
        prepend = Array(try json.required("prepend").string().unicodeScalars)
    }

    var json: HeaderJSONValue {
        .fields(["type": .string("Prepend"), "prepend": .string(String(String.UnicodeScalarView(prepend)))])
    }

    func normalize(_ text: inout [Unicode.Scalar]) {
        if !text.isEmpty { text.insert(contentsOf: prepend, at: 0) }
    }
}
