/// Writes a `TokenizerDefinition` as tokenizer.json, laid out as tokenizers'
/// `save(path, pretty=True)` lays it out (key order, two-space indentation, serde_json's
/// escaping, vocabulary in id order, merges as pairs), so that tokenizers reads the file
/// and, for what the trainer builds, saves it back byte for byte.
enum TokenizerWriter {
    static func json(_ definition: TokenizerDefinition) -> [UInt8] {
        json(value: document(definition))
    }

    /// Any JSON value in the same layout.
    static func json(value: HeaderJSONValue) -> [UInt8] {
        var text = ""
        write(value, indentation: "", to: &text)
        return Array(text.utf8)
    }

    /// The stages in tokenizers' key order, each written by its component.
    private static func document(_ definition: TokenizerDefinition) -> HeaderJSONValue {
        .fields([
            "version": .string("1.0"),
            "truncation": .null,
            "padding": .null,
            "added_tokens": .array(definition.addedTokens.sorted { $0.id < $1.id }.map(\.json)),
            "normalizer": definition.normalizer?.json ?? .null,
            "pre_tokenizer": definition.preTokenizer.json,
            "post_processor": definition.postProcessor.json,
            "decoder": definition.decoder?.json ?? .null,
            "model": definition.model.json,
        ])
    }

    /// serde_json's pretty printer: members and elements one per line, `[]` and `{}` when empty.
    private static func write(_ value: HeaderJSONValue, indentation: String, to text: inout String) {
        let inner = indentation + "  "
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .number(let literal): text += literal
        case .string(let string): JSONStringLiteral.append(string, to: &text)
        case .array(let elements):
            guard !elements.isEmpty else { return text += "[]" }
            text += "[\n"
            for (index, element) in elements.enumerated() {
                text += inner
                write(element, indentation: inner, to: &text)
                text += index == elements.count - 1 ? "\n" : ",\n"
            }
            text += indentation + "]"
        case .object(let members):
            guard !members.isEmpty else { return text += "{}" }
            text += "{\n"
            for (index, member) in members.enumerated() {
                text += inner
                JSONStringLiteral.append(member.key, to: &text)
                text += ": "
                write(member.value, indentation: inner, to: &text)
                text += index == members.count - 1 ? "\n" : ",\n"
            }
            text += indentation + "}"
        }
    }
}
