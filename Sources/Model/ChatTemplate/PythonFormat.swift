/// `str.format` with `{}`, `{0}` and `{name}` fields (the forms templates use); a format spec or
/// conversion is refused.
enum PythonFormat {
    static func format(_ template: String, _ arguments: TemplateArguments) throws -> String {
        var result = ""
        var scalars = Array(template.unicodeScalars)[...]
        var automatic = 0
        while let scalar = scalars.popFirst() {
            if scalar == "}" {
                guard scalars.popFirst() == "}" else { throw TemplateFailure(.type, "Single '}' encountered in format string") }
                result += "}"
                continue
            }
            guard scalar == "{" else {
                result.unicodeScalars.append(scalar)
                continue
            }
            if scalars.first == "{" {
                scalars.removeFirst()
                result += "{"
                continue
            }
            var field = ""
            while let next = scalars.popFirst(), next != "}" { field.unicodeScalars.append(next) }
            if field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[") {
                throw TemplateFailure.unsupported("the str.format field '{\(field)}'")
            }
            let value: TemplateValue?
            if field.isEmpty {
                value = automatic < arguments.positional.count ? arguments.positional[automatic] : nil
                automatic += 1
            } else if let index = Int(field) {
                value = index < arguments.positional.count ? arguments.positional[index] : nil
            } else {
                value = arguments.keyword.first { $0.name == field }?.value
            }
            guard let value else { throw TemplateFailure(.type, "str.format() has no argument for '{\(field)}'") }
            result += try value.pythonString()
        }
        return result
    }
}
