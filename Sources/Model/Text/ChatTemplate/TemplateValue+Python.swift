import Foundation

/// Python's behaviour for template values: truth, `str()`, `repr()`, `==`, `<`, `len()` and iteration,
/// each as CPython and jinja2's Undefined define it.
extension TemplateValue {
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .float(let value): value != 0
        case .string(let value), .markup(let value): !value.isEmpty
        case .list(let items), .tuple(let items): !items.isEmpty
        case .dict(let dictionary): dictionary.count > 0
        case .dictView(let view): !view.items.isEmpty
        case .iterator, .namespace, .callable: true
        }
    }

    /// `str(value)`, what `{{ value }}` prints.
    func pythonString() throws(TemplateFailure) -> String {
        switch self {
        case .undefined: return ""
        case .string(let value), .markup(let value): return value
        default: return try pythonRepr()
        }
    }

    /// `repr(value)`, how a value looks inside a printed list or dict.
    func pythonRepr() throws(TemplateFailure) -> String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .float(let value): return PythonFloat.repr(value)
        case .string(let value): return PythonString.repr(value)
        case .markup(let value): return "Markup(" + PythonString.repr(value) + ")"
        case .list(let items): return "[" + (try items.map { v throws(TemplateFailure) in try v.pythonRepr() }).joined(separator: ", ") + "]"
        case .tuple(let items):
            let parts = try items.map { v throws(TemplateFailure) in try v.pythonRepr() }
            return items.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")"
        case .dict(let dictionary):
            let parts = try dictionary.entries.map { entry throws(TemplateFailure) in
                try entry.key.pythonRepr() + ": " + entry.value.pythonRepr()
            }
            return "{" + parts.joined(separator: ", ") + "}"
        case .dictView(let view):
            return view.kind.rawValue + "(" + (try TemplateValue.list(view.items).pythonRepr()) + ")"
        case .iterator, .namespace, .callable:
            throw .unsupported("printing a \(typeName) object (Python would print its memory address)")
        }
    }

    /// A number as Python's numeric tower sees it (bool is an int).
    var number: Double? {
        switch self {
        case .bool(let value): value ? 1 : 0
        case .int(let value): Double(value)
        case .float(let value): value
        default: nil
        }
    }

    var integer: Int? {
        switch self {
        case .bool(let value): value ? 1 : 0
        case .int(let value): value
        default: nil
        }
    }

    /// Python `==`. Undefined equals only Undefined (jinja2's `Undefined.__eq__`).
    func pythonEquals(_ other: TemplateValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)), (.string(let a), .markup(let b)), (.markup(let a), .string(let b)),
             (.markup(let a), .markup(let b)):
            return PythonString.equal(a, b)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.entries.allSatisfy { entry in b[entry.key].map { $0.pythonEquals(entry.value) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.iterator(let a), .iterator(let b)): return a === b
        case (.callable(let a), .callable(let b)): return a === b
        default:
            if let a = integer, let b = other.integer { return a == b }
            if let a = number, let b = other.number { return a == b }
            return false
        }
    }

    /// Python `<` (and, with the operands swapped, `>`); values of unrelated types raise TypeError.
    func pythonLess(_ other: TemplateValue) throws(TemplateFailure) -> Bool {
        switch (self, other) {
        case (.string(let a), .string(let b)), (.string(let a), .markup(let b)), (.markup(let a), .string(let b)),
             (.markup(let a), .markup(let b)):
            return PythonString.less(a, b)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return try x.pythonLess(y) }
            return a.count < b.count
        default:
            if let a = integer, let b = other.integer { return a < b }
            if let a = number, let b = other.number { return a < b }
            if isUndefined || other.isUndefined { throw TemplateFailure(.undefined, "an undefined value was compared") }
            throw TemplateFailure(.type, "'<' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }

    /// `iter(value)` collected: strings give their characters, dicts their keys, Undefined nothing.
    func pythonIterate() throws(TemplateFailure) -> [TemplateValue] {
        switch self {
        case .undefined: return []
        case .list(let items), .tuple(let items): return items
        case .dictView(let view): return view.items
        case .iterator(let iterator): return try iterator.drain()
        case .string(let value), .markup(let value): return value.unicodeScalars.map { .string(String($0)) }
        case .dict(let dictionary): return dictionary.keys
        default: throw TemplateFailure(.type, "'\(typeName)' object is not iterable")
        }
    }

    /// Lists, dicts and dict views cannot be dict keys (nor tuples holding them): Python raises.
    func requireHashable() throws(TemplateFailure) {
        switch self {
        case .list, .dict, .dictView: throw TemplateFailure(.type, "unhashable type: '\(typeName)'")
        case .tuple(let items): for item in items { try item.requireHashable() }
        default: break
        }
    }

    /// `len(value)`; Undefined has length 0, as in jinja2.
    func pythonLength() throws(TemplateFailure) -> Int {
        switch self {
        case .undefined: return 0
        case .string(let value), .markup(let value): return PythonString.length(value)
        case .list(let items), .tuple(let items): return items.count
        case .dictView(let view): return view.items.count
        case .dict(let dictionary): return dictionary.count
        default: throw TemplateFailure(.type, "object of type '\(typeName)' has no len()")
        }
    }

    /// Python `in`: substring for strings, key for dicts, element for sequences.
    func pythonContains(_ element: TemplateValue) throws(TemplateFailure) -> Bool {
        switch self {
        case .string(let haystack), .markup(let haystack):
            guard let needle = element.text else {
                throw TemplateFailure(.type, "'in <string>' requires string as left operand, not \(element.typeName)")
            }
            return PythonString.contains(haystack, needle)
        case .dict(let dictionary):
            try element.requireHashable()
            return dictionary[element] != nil
        case .iterator(let iterator):
            // Python's `in` takes items from a generator up to the first match only.
            while let item = try iterator.next() {
                if item.pythonEquals(element) { return true }
            }
            return false
        default: return try pythonIterate().contains { $0.pythonEquals(element) }
        }
    }
}

/// Python's float formatting: `repr()` gives the shortest text that reads back to the same double,
/// in fixed notation when the decimal exponent is in [-4, 16), else in scientific notation.
enum PythonFloat {
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description is also the shortest round-trip text; take its digits and exponent.
        let (negative, digits, exponent) = decompose(abs(value).description)
        let sign = negative || value < 0 ? "-" : ""
        if exponent >= -4 && exponent < 16 {
            if exponent < 0 { return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits }
            if digits.count <= exponent + 1 {
                return sign + digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0"
            }
            let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
            return sign + digits[..<split] + "." + digits[split...]
        }
        let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
        let exponentText = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentText.count < 2 ? "0" : "") + exponentText
    }

    /// Splits "1.25e-07" or "123.5" into its significant digits and the exponent of the first digit.
    private static func decompose(_ text: String) -> (Bool, String, Int) {
        var body = Substring(text)
        let negative = body.hasPrefix("-")
        if negative { body = body.dropFirst() }
        var exponent = 0
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(body[body.index(after: e)...]) ?? 0
            body = body[..<e]
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fraction
        exponent += integerPart.count - 1
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst(); exponent -= 1 }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (negative, digits, exponent)
    }
}
