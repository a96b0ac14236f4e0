/// JSON string literals written by hand, for files whose bytes must not depend on
/// `JSONEncoder` (fixed key order, byte-identical output): escaped as serde_json escapes,
/// which is what Hugging Face `tokenizers` writes: quote, backslash and control characters,
/// nothing else.
public enum JSONStringLiteral {
    /// With `escapingNonASCII`, every scalar outside space…tilde is written as `\uXXXX` (UTF-16
    /// units), as Python's `json.dumps` does by default.
    public static func append(_ string: String, to text: inout String, escapingNonASCII: Bool = false) {
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
            default:
                if scalar.value < 0x20 || (escapingNonASCII && scalar.value > 0x7E) {
                    for unit in String(scalar).utf16 {
                        let digits = String(unit, radix: 16)
                        text += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                    }
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }

    public static func quoted(_ string: String, escapingNonASCII: Bool = false) -> String {
        var text = ""
        append(string, to: &text, escapingNonASCII: escapingNonASCII)
        return text
    }
}
