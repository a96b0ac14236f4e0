/// JSON string literals written by hand, for files whose bytes must not depend on
/// `JSONEncoder` (fixed key order, byte-identical output): escaped as serde_json escapes,
/// which is what Hugging Face `tokenizers` writes: quote, backslash and control characters,
/// nothing else.
public enum JSONStringLiteral {
    public static func append(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case "\u{00}"..."\u{1F}": text += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    public static func quoted(_ string: String) -> String {
        var text = ""
        append(string, to: &text)
        return text
    }
}
