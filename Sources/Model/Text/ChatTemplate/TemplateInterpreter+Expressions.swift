/// Expression evaluation with Python's operators and jinja2's attribute and item lookup.
extension TemplateInterpreter {
    func evaluate(_ expression: TemplateExpression, in scope: TemplateScope) throws -> TemplateValue {
        switch expression {
        case .literal(let value):
            return value
        case .name(let name):
            return scope.lookup(name) ?? .undefined("'\(name)' is undefined")
        case .list(let items):
            return .list(try items.map { try evaluate($0, in: scope) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, in: scope) })
        case .dict(let entries):
            var dictionary = TemplateDictionary()
            for entry in entries {
                let key = try evaluate(entry.key, in: scope)
                try key.requireHashable()
                dictionary[key] = try evaluate(entry.value, in: scope)
            }
            return .dict(dictionary)
        case .attribute(let base, let name):
            return try attribute(name, of: try evaluate(base, in: scope))
        case .item(let base, let key):
            return try item(try evaluate(key, in: scope), of: try evaluate(base, in: scope))
        case .slice(let base, let start, let stop, let step):
            let value = try evaluate(base, in: scope)
            func bound(_ part: TemplateExpression?) throws -> Int? {
                guard let part else { return nil }
                let value = try evaluate(part, in: scope)
                if case .none = value { return nil }
                guard let integer = value.integer else {
                    throw TemplateFailure(.type, "slice indices must be integers or None, not \(value.typeName)")
                }
                return integer
            }
            return try slice(value, start: try bound(start), stop: try bound(stop), step: try bound(step))
        case .call(let callee, let syntax):
            let function = try evaluate(callee, in: scope)
            return try call(function, with: try arguments(syntax, in: scope))
        case .filter(let base, let filter):
            return try applyFilter(filter, to: try evaluate(base, in: scope), in: scope)
        case .test(let base, let name, let syntax, let negated):
            let result = try applyTest(name, to: try evaluate(base, in: scope), arguments: try arguments(syntax, in: scope))
            return .bool(result != negated)
        case .not(let operand):
            return .bool(!(try evaluate(operand, in: scope).isTruthy))
        case .negate(let operand):
            let value = try evaluate(operand, in: scope)
            switch value {
            case .int(let x): return .int(-x)
            case .bool(let x): return .int(x ? -1 : 0)
            case .float(let x): return .float(-x)
            default: throw try operandFailure("unary -", value, value)
            }
        case .plus(let operand):
            let value = try evaluate(operand, in: scope)
            guard value.number != nil else { throw try operandFailure("unary +", value, value) }
            return value
        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left, in: scope), try evaluate(right, in: scope))
        case .concatenate(let left, let right):
            return .string(try evaluate(left, in: scope).pythonString() + evaluate(right, in: scope).pythonString())
        case .and(let left, let right):
            let value = try evaluate(left, in: scope)
            return value.isTruthy ? try evaluate(right, in: scope) : value
        case .or(let left, let right):
            let value = try evaluate(left, in: scope)
            return value.isTruthy ? value : try evaluate(right, in: scope)
        case .compare(let first, let operations):
            var left = try evaluate(first, in: scope)
            for (op, rightExpression) in operations {
                let right = try evaluate(rightExpression, in: scope)
                guard try compare(op, left, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let test, let then, let otherwise):
            if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
            return try otherwise.map { try evaluate($0, in: scope) } ?? .undefined("the conditional expression had no else")
        }
    }

    func arguments(_ syntax: TemplateCallSyntax, in scope: TemplateScope) throws -> TemplateArguments {
        TemplateArguments(positional: try syntax.positional.map { try evaluate($0, in: scope) },
                          keyword: try syntax.keyword.map { ($0.name, try evaluate($0.value, in: scope)) })
    }

    func call(_ function: TemplateValue, with arguments: TemplateArguments) throws -> TemplateValue {
        switch function {
        case .callable(let callable): return try callable.body(arguments)
        case .undefined(let hint): throw TemplateFailure(.undefined, hint)
        default: throw TemplateFailure(.type, "'\(function.typeName)' object is not callable")
        }
    }

    /// `value.name`: jinja2 tries the Python attribute (a method), then the item. The sandbox refuses
    /// Python's own underscore attributes (`__class__`), which read as undefined; a dict key that
    /// starts with an underscore is no Python attribute, so `d._key` still finds it.
    func attribute(_ name: String, of value: TemplateValue) throws -> TemplateValue {
        if case .undefined(let hint) = value { throw TemplateFailure(.undefined, hint) }
        let isDunder = name.hasPrefix("__") && name.hasSuffix("__")
        if isDunder || (name.hasPrefix("_") && !isDictionary(value)) {
            return .undefined("access to attribute '\(name)' is unsafe")
        }
        if let method = try TemplateMethods.method(name, of: value) { return method }
        switch value {
        case .dict(let dictionary):
            return dictionary[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined("'Namespace object' has no attribute '\(name)'")
        default:
            return .undefined("'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    private func isDictionary(_ value: TemplateValue) -> Bool {
        if case .dict = value { return true }
        return false
    }

    /// `value[key]`: jinja2 tries the item, then (for a string key) the attribute.
    func item(_ key: TemplateValue, of value: TemplateValue) throws -> TemplateValue {
        switch value {
        case .undefined(let hint):
            throw TemplateFailure(.undefined, hint)
        case .list(let items), .tuple(let items):
            if let index = key.integer {
                let position = index < 0 ? index + items.count : index
                return items.indices.contains(position) ? items[position] : .undefined("list index out of range")
            }
        case .string(let text), .markup(let text):
            if let index = key.integer {
                let scalars = Array(text.unicodeScalars)
                let position = index < 0 ? index + scalars.count : index
                guard scalars.indices.contains(position) else { return .undefined("string index out of range") }
                return value.sameStringKind(String(scalars[position]))
            }
        case .dict(let dictionary):
            if let found = dictionary[key] { return found }
        default:
            break
        }
        if let name = key.text { return try attribute(name, of: value) }
        return .undefined("'\(value.typeName) object' has no item \((try? key.pythonRepr()) ?? "")")
    }

    /// Python slicing, negative steps included (`PySlice_AdjustIndices`).
    func slice(_ value: TemplateValue, start: Int?, stop: Int?, step: Int?) throws -> TemplateValue {
        let step = step ?? 1
        guard step != 0 else { throw TemplateFailure(.type, "slice step cannot be zero") }
        func indices(_ count: Int) -> [Int] {
            let lower = step < 0 ? -1 : 0, upper = step < 0 ? count - 1 : count
            func clamp(_ bound: Int?, _ fallback: Int) -> Int {
                guard var bound else { return fallback }
                if bound < 0 {
                    bound += count
                    return max(bound, lower)
                }
                return min(bound, upper)
            }
            let first = clamp(start, step < 0 ? upper : lower), last = clamp(stop, step < 0 ? lower : upper)
            return Array(stride(from: first, to: last, by: step))
        }
        switch value {
        case .list(let items): return .list(indices(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(indices(items.count).map { items[$0] })
        case .string(let text), .markup(let text):
            let scalars = Array(text.unicodeScalars)
            return value.sameStringKind(PythonString.string(indices(scalars.count).map { scalars[$0] }))
        case .undefined(let hint): throw TemplateFailure(.undefined, hint)
        // jinja2 compiles a slice to Python's own subscript (not its forgiving getitem), so this raises.
        default: throw TemplateFailure(.type, "'\(value.typeName)' object is not subscriptable")
        }
    }

    func operandFailure(_ op: String, _ left: TemplateValue, _ right: TemplateValue) throws -> TemplateFailure {
        for value in [left, right] {
            if case .undefined(let hint) = value { return TemplateFailure(.undefined, hint) }
        }
        return TemplateFailure(.type, "unsupported operand type(s) for \(op): '\(left.typeName)' and '\(right.typeName)'")
    }

    func binary(_ op: TemplateBinaryOperator, _ left: TemplateValue, _ right: TemplateValue) throws -> TemplateValue {
        if let a = left.integer, let b = right.integer {
            return try PythonArithmetic.integer(op, a, b)
        }
        if let a = left.number, let b = right.number {
            return try PythonArithmetic.float(op, a, b)
        }
        switch (op, left, right) {
        case (.add, .string(let a), .string(let b)): return .string(a + b)
        // Markup escapes a str added on either side (markupsafe's __add__ and __radd__).
        case (.add, .markup(let a), _) where right.text != nil: return .markup(a + (try Markup.escape(right)))
        case (.add, _, .markup(let b)) where left.text != nil: return .markup((try Markup.escape(left)) + b)
        case (.add, .list(let a), .list(let b)): return .list(a + b)
        case (.add, .tuple(let a), .tuple(let b)): return .tuple(a + b)
        case (.multiply, .string(let text), _) where right.integer != nil, (.multiply, .markup(let text), _) where right.integer != nil:
            return left.sameStringKind(String(repeating: text, count: try Self.repetitions(right.integer!, of: text.utf8.count)))
        case (.multiply, _, .string(let text)) where left.integer != nil, (.multiply, _, .markup(let text)) where left.integer != nil:
            return right.sameStringKind(String(repeating: text, count: try Self.repetitions(left.integer!, of: text.utf8.count)))
        case (.multiply, .list(let items), _) where right.integer != nil:
            return .list(Array(repeating: items, count: try Self.repetitions(right.integer!, of: items.count)).flatMap { $0 })
        case (.multiply, _, .list(let items)) where left.integer != nil:
            return .list(Array(repeating: items, count: try Self.repetitions(left.integer!, of: items.count)).flatMap { $0 })
        case (.modulo, .string(let text), _):
            return .string(try PythonPercentFormat.format(text, right))
        case (.modulo, .markup, _):
            throw TemplateFailure.unsupported("the % operator on a Markup string")
        default:
            throw try operandFailure(op.rawValue, left, right)
        }
    }

    /// A sequence repeated `count` times, bounded so that a template cannot ask for gigabytes.
    static func repetitions(_ count: Int, of size: Int) throws(TemplateFailure) -> Int {
        let count = max(0, count)
        guard size == 0 || count <= maximumRepeatedSize / size else {
            throw .unsupported("a repeated string or list beyond \(maximumRepeatedSize) elements")
        }
        return count
    }

    static let maximumRepeatedSize = 10_000_000

    func compare(_ op: TemplateComparison, _ left: TemplateValue, _ right: TemplateValue) throws -> Bool {
        switch op {
        case .equal: return left.pythonEquals(right)
        case .notEqual: return !left.pythonEquals(right)
        case .less: return try left.pythonLess(right)
        case .greater: return try right.pythonLess(left)
        case .lessOrEqual: return try left.pythonLess(right) || left.pythonEquals(right)
        case .greaterOrEqual: return try right.pythonLess(left) || left.pythonEquals(right)
        case .in: return try right.pythonContains(left)
        case .notIn: return !(try right.pythonContains(left))
        }
    }
}
