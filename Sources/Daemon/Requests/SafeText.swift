/// Text that came from outside (a request's key, a file name, an error that quotes either)
/// made safe to put in a log line or an error file: nothing in it can end a line, move the
/// cursor, colour the terminal or reorder what follows it. Control characters, format
/// characters (bidirectional overrides, zero-width ones), line and paragraph separators and
/// the backslash itself are written as escapes, and the text is cut at `limit` characters.
public enum SafeText {
    public static func escaped(_ text: String, limit: Int = 96) -> String {
        var shown = "", count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else { return shown + "…" }
            count += 1
            switch scalar {
            case "\\": shown += "\\\\"
            case "\n": shown += "\\n"
            case "\r": shown += "\\r"
            case "\t": shown += "\\t"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                    shown += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                default:
                    shown.unicodeScalars.append(scalar)
                }
            }
        }
        return shown
    }
}
