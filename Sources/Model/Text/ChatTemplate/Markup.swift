/// markupsafe's escaping, which `|escape` applies and a `Markup` applies to what is added to it.
enum Markup {
    /// `markupsafe.escape`: a Markup stays as it is; anything else is `str()`-ed and `& < > " '` escaped.
    static func escape(_ value: TemplateValue) throws(TemplateFailure) -> String {
        if case .markup(let text) = value { return text }
        var escaped = ""
        for scalar in try value.pythonString().unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&#34;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

extension TemplateValue {
    /// A str operation's result is a Markup again when it started from one (markupsafe wraps them).
    func sameStringKind(_ text: String) -> TemplateValue {
        if case .markup = self { return .markup(text) }
        return .string(text)
    }
}
