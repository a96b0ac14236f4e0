import Foundation

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

/// `text % arguments`, Python's printf-style formatting: `%s %r %d %i %f %F %x %X %o %c %%` with the
/// `-`, `0`, `+` and space flags, a width and a precision (digits or `*`), and `%(key)s` from a mapping.
/// Other conversions are refused.
enum PythonPercentFormat {
    static func format(_ template: String, _ arguments: TemplateValue) throws -> String {
        var positional: [TemplateValue] = []
        var isSingle = false
        switch arguments {
        case .tuple(let items): positional = items
        default:
            positional = [arguments]
            isSingle = true
        }
        // Python takes any mapping-like argument (not a tuple or str) as the source of %(key)s, and then
        // does not complain about arguments left over.
        let mapping: TemplateValue? = switch arguments {
        case .dict, .list, .undefined: arguments
        default: nil
        }
        var next = 0
        func take() throws -> TemplateValue {
            guard next < positional.count else { throw TemplateFailure(.type, "not enough arguments for format string") }
            defer { next += 1 }
            return positional[next]
        }
        var result = ""
        var scalars = Array(template.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            guard scalar == "%" else {
                result.unicodeScalars.append(scalar)
                continue
            }
            var value: TemplateValue?
            if scalars.first == "(" {
                scalars.removeFirst()
                var key = ""
                while let character = scalars.popFirst(), character != ")" { key.unicodeScalars.append(character) }
                guard case .dict(let dictionary)? = mapping else { throw TemplateFailure(.type, "format requires a mapping") }
                guard let found = dictionary[key] else { throw TemplateFailure(.type, "KeyError: '\(key)'") }
                value = found
            }
            var flags = Set<Unicode.Scalar>()
            while let flag = scalars.first, "-+ #0".unicodeScalars.contains(flag) { flags.insert(flag); scalars.removeFirst() }
            func number() throws -> Int? {
                if scalars.first == "*" {
                    scalars.removeFirst()
                    guard let star = try take().integer else { throw TemplateFailure(.type, "* wants int") }
                    return star
                }
                var digits = ""
                while let digit = scalars.first, digit.properties.numericType == .decimal, digit.isASCII {
                    digits.unicodeScalars.append(digit)
                    scalars.removeFirst()
                }
                return digits.isEmpty ? nil : Int(digits)
            }
            var width = try number() ?? 0
            if width < 0 {
                flags.insert("-")
                width = -width
            }
            var precision: Int?
            if scalars.first == "." {
                scalars.removeFirst()
                precision = try number() ?? 0
            }
            guard let conversion = scalars.popFirst() else { throw TemplateFailure(.type, "incomplete format") }
            if conversion == "%" {
                result += "%"
                continue
            }
            let argument = try value ?? take()
            result += try pad(try convert(argument, conversion, precision: precision, flags: flags), width: width, flags: flags,
                              numeric: !"src".unicodeScalars.contains(conversion))
        }
        if !isSingle, next < positional.count, mapping == nil {
            throw TemplateFailure(.type, "not all arguments converted during string formatting")
        }
        if isSingle, next == 0, mapping == nil {
            throw TemplateFailure(.type, "not all arguments converted during string formatting")
        }
        return result
    }

    private static func convert(_ value: TemplateValue, _ conversion: Unicode.Scalar, precision: Int?,
                                flags: Set<Unicode.Scalar>) throws -> String {
        switch conversion {
        case "s", "r":
            let text = conversion == "s" ? try value.pythonString() : try value.pythonRepr()
            return precision.map { PythonString.string(text.unicodeScalars.prefix($0)) } ?? text
        case "d", "i", "u", "x", "X", "o":
            let integer: Int
            if case .undefined(let hint) = value { throw TemplateFailure(.undefined, hint) }
            if let exact = value.integer {
                integer = exact
            } else if case .float(let float) = value, "diu".unicodeScalars.contains(conversion), let truncated = Int(exactly: float.rounded(.towardZero)) {
                integer = truncated
            } else {
                throw TemplateFailure(.type, "%\(conversion) format: a real number is required, not \(value.typeName)")
            }
            let radix = conversion == "o" ? 8 : "xX".unicodeScalars.contains(conversion) ? 16 : 10
            var digits = String(integer.magnitude, radix: radix, uppercase: conversion == "X")
            if let precision, digits.count < precision { digits = String(repeating: "0", count: precision - digits.count) + digits }
            if flags.contains("#"), radix != 10 { digits = (radix == 8 ? "0o" : conversion == "X" ? "0X" : "0x") + digits }
            return sign(negative: integer < 0, flags: flags) + digits
        case "f", "F":
            if case .undefined(let hint) = value { throw TemplateFailure(.undefined, hint) }
            guard let number = value.number else {
                throw TemplateFailure(.type, "must be real number, not \(value.typeName)")
            }
            if !number.isFinite {
                let word = number.isNaN ? "nan" : "inf"
                return sign(negative: number < 0, flags: flags) + (conversion == "F" ? word.uppercased() : word)
            }
            return sign(negative: number.sign == .minus, flags: flags) + String(format: "%.*f", precision ?? 6, abs(number))
        case "c":
            if let code = value.integer, let scalar = Unicode.Scalar(UInt32(clamping: code)) { return String(scalar) }
            if let text = value.text, text.unicodeScalars.count == 1 { return text }
            throw TemplateFailure(.type, "%c requires an int or a unicode character")
        default:
            throw TemplateFailure.unsupported("the %\(conversion) conversion of the % operator")
        }
    }

    private static func sign(negative: Bool, flags: Set<Unicode.Scalar>) -> String {
        negative ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : ""
    }

    /// Pads to `width`: left-aligned with `-`, zero-filled after the sign with `0` for numbers.
    private static func pad(_ text: String, width: Int, flags: Set<Unicode.Scalar>, numeric: Bool) throws -> String {
        let count = text.unicodeScalars.count
        guard count < width else { return text }
        guard width <= TemplateInterpreter.maximumRepeatedSize else {
            throw TemplateFailure.unsupported("a % format width beyond \(TemplateInterpreter.maximumRepeatedSize)")
        }
        let padding = width - count
        if flags.contains("-") { return text + String(repeating: " ", count: padding) }
        if flags.contains("0"), numeric {
            var scalars = Array(text.unicodeScalars)[...]
            var prefix = ""
            if let first = scalars.first, "+- ".unicodeScalars.contains(first) { prefix.unicodeScalars.append(scalars.removeFirst()) }
            return prefix + String(repeating: "0", count: padding) + PythonString.string(scalars)
        }
        return String(repeating: " ", count: padding) + text
    }
}
