/// Python's `json.dumps` as transformers' `tojson` filter calls it (`ensure_ascii=False` unless the
/// template asks otherwise, with the `indent`, `separators` and `sort_keys` it passes): the exact spacing, escapes and number
/// forms a model was trained on.
struct PythonJSON {
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys: Bool
    /// `ensure_ascii=True`: everything outside printable ASCII as `\uXXXX` (UTF-16, so pairs above U+FFFF).
    var asciiOnly: Bool

    init(indent: String?, separators: (String, String)?, sortKeys: Bool, asciiOnly: Bool) {
        self.asciiOnly = asciiOnly
        self.indent = indent
        // Python's default separators drop the space after ',' when indenting.
        (itemSeparator, keySeparator) = separators ?? (indent == nil ? ", " : ",", ": ")
        self.sortKeys = sortKeys
    }

    func dumps(_ value: TemplateValue) throws(TemplateFailure) -> String {
        var output = ""
        try write(value, level: 0, to: &output)
        return output
    }

    func quoted(_ text: String) -> String {
        JSONStringLiteral.quoted(text, escapingNonASCII: asciiOnly)
    }

    private func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return PythonFloat.repr(value)
    }

    private func newline(_ level: Int) -> String {
        guard let indent else { return "" }
        return "\n" + String(repeating: indent, count: level)
    }

    private func key(_ value: TemplateValue) throws(TemplateFailure) -> String {
        switch value {
        case .string(let text), .markup(let text): return text
        case .int(let integer): return String(integer)
        case .float(let float): return number(float)
        case .bool(let flag): return flag ? "true" : "false"
        case .none: return "null"
        default: throw TemplateFailure(.type, "keys must be str, int, float, bool or None, not \(value.typeName)")
        }
    }

    private func write(_ value: TemplateValue, level: Int, to output: inout String) throws(TemplateFailure) {
        switch value {
        case .none: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .int(let integer): output += String(integer)
        case .float(let float): output += number(float)
        case .string(let text), .markup(let text): output += quoted(text)
        case .list(let items), .tuple(let items):
            guard !items.isEmpty else { output += "[]"; return }
            output += "["
            for (index, item) in items.enumerated() {
                output += (index == 0 ? "" : itemSeparator) + newline(level + 1)
                try write(item, level: level + 1, to: &output)
            }
            output += newline(level) + "]"
        case .dict(let dictionary):
            guard dictionary.count > 0 else { output += "{}"; return }
            var entries = try dictionary.entries.map { entry throws(TemplateFailure) in (try key(entry.key), entry.value) }
            if sortKeys { entries = entries.enumerated().sorted { a, b in
                PythonString.less(a.element.0, b.element.0) || (PythonString.equal(a.element.0, b.element.0) && a.offset < b.offset)
            }.map(\.element) }
            output += "{"
            for (index, entry) in entries.enumerated() {
                output += (index == 0 ? "" : itemSeparator) + newline(level + 1) + quoted(entry.0) + keySeparator
                try write(entry.1, level: level + 1, to: &output)
            }
            output += newline(level) + "}"
        case .undefined, .dictView, .iterator, .namespace, .callable:
            throw TemplateFailure(.type, "Object of type \(value.typeName) is not JSON serializable")
        }
    }
}
