/// Text that came from outside (a request's key, a file name, an error that quotes either)
/// made safe to put in a log line or an error file: nothing in it can end a line, move the
/// cursor, colour the terminal or reorder what follows it. Control characters, format
/// characters (bidirectional overrides, zero-width ones), line and paragraph separators,
/// spaces other than U+0020 and the backslash itself are written as escapes, and the text is
/// cut at `limit` characters.
public enum SafeText {
    public static func escaped(_ text: String, limit: Int = 96) -> String {
        var shown = "", count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else { return shown + "…" }
            count += 1
            shown += escaped(scalar)
        }
        return shown
    }

    /// One character as `escaped` shows it: itself when it is visible, else an escape.
    public static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            case .spaceSeparator where scalar != " ":
                return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                return String(scalar)
            }
        }
    }
}
