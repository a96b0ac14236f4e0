/// jinja2's tests (`x is defined`, `x is string`, `n is divisibleby 3`), with Python's type checks.
extension TemplateInterpreter {
    static let knownTests: Set = [
        "odd", "even", "divisibleby", "defined", "undefined", "filter", "test", "none", "boolean", "false", "true",
        "integer", "float", "lower", "upper", "string", "mapping", "number", "sequence", "iterable", "callable", "sameas",
        "escaped", "in", "==", "eq", "equalto", "!=", "ne", ">", "gt", "greaterthan", "ge", ">=", "<", "lt", "lessthan",
        "<=", "le",
    ]

    func applyTest(_ name: String, to value: TemplateValue, arguments: TemplateArguments) throws -> Bool {
        func argument() throws -> TemplateValue {
            guard let other = try arguments.bind(["other"], function: name)[0] else {
                throw TemplateFailure(.type, "the test '\(name)' needs an argument")
            }
            return other
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "number": return value.number != nil
        case "string": return value.text != nil
        case "mapping": if case .dict = value { return true } else { return false }
        case "callable":
            // jinja2's Undefined defines __call__ (it raises), so Python's callable() is true for it.
            switch value {
            case .callable, .undefined: return true
            default: return false
            }
        case "escaped": if case .markup = value { return true } else { return false }
        case "iterable", "sequence":
            switch value {
            case .undefined, .string, .markup, .list, .tuple, .dict: return true
            case .iterator, .dictView: return name == "iterable"
            default: return false
            }
        case "odd", "even":
            // jinja2 computes `value % 2` (== 1 for odd, == 0 for even), so floats are accepted too.
            let remainder = try binary(.modulo, value, .int(2))
            return remainder.pythonEquals(.int(name == "odd" ? 1 : 0))
        case "divisibleby":
            return try binary(.modulo, value, try argument()).pythonEquals(.int(0))
        case "lower", "upper":
            let text = try value.pythonString()
            let cased = text.unicodeScalars.filter(\.properties.isCased)
            guard !cased.isEmpty else { return false }
            return PythonString.equal(text, name == "lower" ? PythonString.lower(text) : PythonString.upper(text))
        case "in": return try argument().pythonContains(value)
        case "==", "eq", "equalto": return try compare(.equal, value, argument())
        case "!=", "ne": return try compare(.notEqual, value, argument())
        case ">", "gt", "greaterthan": return try compare(.greater, value, argument())
        case ">=", "ge": return try compare(.greaterOrEqual, value, argument())
        case "<", "lt", "lessthan": return try compare(.less, value, argument())
        case "<=", "le": return try compare(.lessOrEqual, value, argument())
        case "sameas":
            switch (value, try argument()) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.none, _), (_, .none), (.bool, _), (_, .bool): return false
            case (.namespace(let a), .namespace(let b)): return a === b
            default: throw TemplateFailure.unsupported("the test 'sameas' on values other than none, booleans and namespaces")
            }
        case "filter":
            guard let filter = try argument().text else { return false }
            return Self.environmentFilters.contains(filter)
        case "test":
            guard let test = try argument().text else { return false }
            return Self.knownTests.contains(test)
        default:
            throw TemplateFailure(.type, "no test named '\(name)'")
        }
    }
}
