import Foundation

/// jinja2's built-in filters that chat templates use, and transformers' `tojson`. Each follows the
/// jinja2 3.1 function of the same name (`do_trim`, `do_join`, …), including its defaults
/// (case-insensitive `sort`, `unique` and `dictsort`; `indent`'s handling of the first line).
extension TemplateInterpreter {
    private static let implementedFilters: Set = [
        "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "indent", "int", "items",
        "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse",
        "round", "safe", "select", "selectattr", "sort", "string", "title", "tojson", "trim", "unique", "upper", "wordcount",
        "sum", "batch",
    ]
    private static let otherJinjaFilters: Set = [
        "attr", "center", "filesizeformat", "forceescape", "format", "groupby", "pprint", "random", "slice",
        "striptags", "truncate", "urlencode", "urlize", "wordwrap", "xmlattr",
    ]
    /// What `x is filter` answers true for: every filter the environment has, implemented here or not.
    static let environmentFilters = implementedFilters.union(otherJinjaFilters)

    func applyFilter(_ filter: TemplateFilterSyntax, to value: TemplateValue, in scope: TemplateScope) throws -> TemplateValue {
        try applyFilter(filter.name, to: value, arguments: try arguments(filter.arguments, in: scope))
    }

    func applyFilter(_ name: String, to value: TemplateValue, arguments: TemplateArguments) throws -> TemplateValue {
        func bind(_ names: [String]) throws -> [TemplateValue?] { try arguments.bind(names, function: name) }
        func text() throws -> String { try value.pythonString() }
        switch name {
        case "tojson":
            let bound = try bind(["ensure_ascii", "indent", "separators", "sort_keys"])
            let indent: String?
            switch bound[1] {
            case nil, .none?: indent = nil
            case .string(let text)?: indent = text
            case let width?:
                guard let spaces = width.integer else { throw TemplateFailure(.type, "tojson indent must be an int or str") }
                indent = String(repeating: " ", count: try Self.repetitions(spaces, of: 1))
            }
            var separators: (String, String)?
            if let given = bound[2], !(given.pythonEquals(.none)) {
                let parts = try given.pythonIterate()
                guard parts.count == 2, let item = parts[0].text, let key = parts[1].text else {
                    throw TemplateFailure(.type, "tojson separators must be an (item, key) pair of strings")
                }
                separators = (item, key)
            }
            return .string(try PythonJSON(indent: indent, separators: separators, sortKeys: bound[3]?.isTruthy ?? false,
                                         asciiOnly: bound[0]?.isTruthy ?? false).dumps(value))
        case "length", "count":
            _ = try bind([])
            return .int(try value.pythonLength())
        case "trim":
            let chars = try bind(["chars"])[0]
            return value.sameStringKind(PythonString.strip(try text(), characters: chars?.text, leading: true, trailing: true))
        case "string":
            _ = try bind([])
            return value.sameStringKind(try text())
        case "safe":
            _ = try bind([])
            return .markup(try text())
        case "default", "d":
            let bound = try bind(["default_value", "boolean"])
            let useDefault = value.isUndefined || (bound[1]?.isTruthy == true && !value.isTruthy)
            return useDefault ? bound[0] ?? .string("") : value
        case "upper", "lower", "capitalize":
            _ = try bind([])
            let text = try text()
            return value.sameStringKind(name == "upper" ? PythonString.upper(text) : name == "lower" ? PythonString.lower(text) : PythonString.capitalize(text))
        case "title":
            _ = try bind([])
            return .string(Self.jinjaTitle(try text()))
        case "replace":
            let bound = try bind(["old", "new", "count"])
            guard let old = bound[0], let new = bound[1] else { throw TemplateFailure(.type, "replace() needs the old and new strings") }
            return .string(PythonString.replace(try text(), try old.pythonString(), try new.pythonString(), count: bound[2]?.integer ?? -1))
        case "join":
            let bound = try bind(["d", "attribute"])
            var items = try value.pythonIterate()
            if let attribute = bound[1] { items = try items.map { try lookup(attribute, in: $0) } }
            let separator = bound[0] ?? .string("")
            // A Markup separator escapes the items it joins (markupsafe's join).
            if case .markup(let text) = separator { return .markup(try items.map { try Markup.escape($0) }.joined(separator: text)) }
            return .string(try items.map { try $0.pythonString() }.joined(separator: try separator.pythonString()))
        case "items":
            _ = try bind([])
            switch value {
            case .undefined: return .iterator(TemplateIterator { [] })
            case .dict(let dictionary): return .iterator(TemplateIterator { dictionary.entries.map { .tuple([$0.key, $0.value]) } })
            default: return .iterator(TemplateIterator { throw TemplateFailure(.type, "can only get item pairs from a mapping") })
            }
        case "list":
            _ = try bind([])
            return .list(try value.pythonIterate())
        case "first":
            _ = try bind([])
            let first = if case .iterator(let iterator) = value { try iterator.next() } else { try value.pythonIterate().first }
            return first ?? .undefined("No first item, sequence was empty.")
        case "last":
            _ = try bind([])
            guard case .iterator = value else {
                return try value.pythonIterate().last ?? .undefined("No last item, sequence was empty.")
            }
            throw TemplateFailure(.type, "'generator' object is not reversible")
        case "reverse":
            _ = try bind([])
            if let text = value.text { return value.sameStringKind(PythonString.string(text.unicodeScalars.reversed())) }
            // reversed() of a list or dict; a generator is not reversible, so jinja2 makes a list of it.
            if case .iterator(let iterator) = value { return .list(try iterator.drain().reversed()) }
            let reversed = Array(try value.pythonIterate().reversed())
            return .iterator(TemplateIterator { reversed })
        case "abs":
            _ = try bind([])
            switch value {
            case .int(let x): return .int(abs(x))
            case .bool(let x): return .int(x ? 1 : 0)
            case .float(let x): return .float(abs(x))
            default: throw try operandFailure("abs()", value, value)
            }
        case "round":
            let bound = try bind(["precision", "method"])
            let precision = bound[0]?.integer ?? 0
            let method = try (bound[1] ?? .string("common")).pythonString()
            guard let number = value.number else { throw TemplateFailure(.type, "round needs a number") }
            let scale = pow(10.0, Double(precision))
            let rule: FloatingPointRoundingRule = method == "floor" ? .down : method == "ceil" ? .up : .toNearestOrEven
            guard ["common", "floor", "ceil"].contains(method) else {
                throw TemplateFailure(.type, "method must be 'common', 'ceil' or 'floor'")
            }
            // Python's round() of an int is an int; floor and ceil go through a float division.
            if method == "common", let integer = value.integer {
                guard precision < 0 else { return .int(integer) }
                return .int(try Self.integer(exactly: (Double(integer) * scale).rounded(rule) / scale))
            }
            return .float((number * scale).rounded(rule) / scale)
        case "int":
            let bound = try bind(["default", "base"])
            if let base = bound[1]?.integer, base != 10 { throw TemplateFailure.unsupported("the int filter with base \(base)") }
            let fallback = bound[0] ?? .int(0)
            switch value {
            case .int, .bool: return .int(value.integer!)
            case .float(let x): return x.isFinite ? .int(try Self.integer(exactly: x.rounded(.towardZero))) : fallback
            case .string(let text), .markup(let text):
                let trimmed = PythonString.strip(text, characters: nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
                if let integer = Int(trimmed) { return .int(integer) }
                if let float = Self.pythonFloat(trimmed), float.isFinite { return .int(try Self.integer(exactly: float.rounded(.towardZero))) }
                return fallback
            // int(Undefined) raises UndefinedError, which jinja2 does not turn into the default.
            case .undefined(let hint): throw TemplateFailure(.undefined, hint)
            default: return fallback
            }
        case "float":
            let fallback = try bind(["default"])[0] ?? .float(0)
            switch value {
            case .int, .bool, .float: return .float(value.number!)
            case .string(let text), .markup(let text):
                return Self.pythonFloat(PythonString.strip(text, characters: nil, leading: true, trailing: true)).map(TemplateValue.float) ?? fallback
            case .undefined(let hint): throw TemplateFailure(.undefined, hint)
            default: return fallback
            }
        case "wordcount":
            _ = try bind([])
            return .int(Self.wordCount(try text()))
        case "e", "escape":
            _ = try bind([])
            return .markup(try Markup.escape(value))
        case "indent":
            let bound = try bind(["width", "first", "blank"])
            // jinja2 appends a newline to the value, which only a str (or Markup) accepts.
            guard value.text != nil else { throw try operandFailure("+=", value, .string("\n")) }
            let indentation: String
            switch bound[0] {
            case .string(let text)?: indentation = text
            case let width?: indentation = String(repeating: " ", count: try Self.repetitions(width.integer ?? 4, of: 1))
            case nil: indentation = "    "
            }
            return value.sameStringKind(Self.indent(try text() + "\n", indentation, first: bound[1]?.isTruthy ?? false, blank: bound[2]?.isTruthy ?? false))
        case "dictsort":
            let bound = try bind(["case_sensitive", "by", "reverse"])
            guard case .dict(let dictionary) = value else { throw TemplateFailure(.type, "dictsort needs a mapping") }
            let byValue = try (bound[1] ?? .string("key")).pythonString() == "value"
            let pairs = dictionary.entries.map { TemplateValue.tuple([$0.key, $0.value]) }
            return .list(try Self.stableSorted(pairs, reverse: bound[2]?.isTruthy ?? false) { pair in
                guard case .tuple(let parts) = pair else { return pair }
                return Self.sortKey(parts[byValue ? 1 : 0], caseSensitive: bound[0]?.isTruthy ?? false)
            })
        case "sort":
            let bound = try bind(["reverse", "case_sensitive", "attribute"])
            return .list(try Self.stableSorted(try value.pythonIterate(), reverse: bound[0]?.isTruthy ?? false) { item in
                Self.sortKey(try bound[2].map { try lookup($0, in: item) } ?? item, caseSensitive: bound[1]?.isTruthy ?? false)
            })
        case "unique":
            let bound = try bind(["case_sensitive", "attribute"])
            return .iterator(TemplateIterator { [unowned self] in
                var seen: [TemplateValue] = [], result: [TemplateValue] = []
                for item in try value.pythonIterate() {
                    let key = Self.sortKey(try bound[1].map { try self.lookup($0, in: item) } ?? item, caseSensitive: bound[0]?.isTruthy ?? false)
                    try key.requireHashable()
                    if !seen.contains(where: { $0.pythonEquals(key) }) {
                        seen.append(key)
                        result.append(item)
                    }
                }
                return result
            })
        case "min", "max":
            let bound = try bind(["case_sensitive", "attribute"])
            let sorted = try Self.stableSorted(try value.pythonIterate(), reverse: false) { item in
                Self.sortKey(try bound[1].map { try lookup($0, in: item) } ?? item, caseSensitive: bound[0]?.isTruthy ?? false)
            }
            return (name == "min" ? sorted.first : sorted.last) ?? .undefined("No aggregated item, sequence was empty.")
        case "sum":
            let bound = try bind(["attribute", "start"])
            var total = bound[1] ?? .int(0)
            for item in try value.pythonIterate() {
                total = try binary(.add, total, try bound[0].map { try lookup($0, in: item) } ?? item)
            }
            return total
        case "batch":
            let bound = try bind(["linecount", "fill_with"])
            guard let size = bound[0]?.integer, size > 0 else { throw TemplateFailure(.type, "batch needs a positive line count") }
            return .iterator(TemplateIterator {
                var rows: [TemplateValue] = [], row: [TemplateValue] = []
                for item in try value.pythonIterate() {
                    row.append(item)
                    if row.count == size {
                        rows.append(.list(row))
                        row = []
                    }
                }
                if !row.isEmpty {
                    if let fill = bound[1] { row += Array(repeating: fill, count: size - row.count) }
                    rows.append(.list(row))
                }
                return rows
            })
        case "select", "reject", "selectattr", "rejectattr":
            return .iterator(TemplateIterator { [unowned self] in
                try self.select(value, arguments: arguments, byAttribute: name.hasSuffix("attr"), keep: name.hasPrefix("select"))
            })
        case "map":
            return .iterator(TemplateIterator { [unowned self] in try self.map(value, arguments: arguments) })
        default:
            if Self.otherJinjaFilters.contains(name) { throw TemplateFailure.unsupported("the filter '\(name)'") }
            throw TemplateFailure(.type, "no filter named '\(name)'")
        }
    }

    /// A whole float as an Int; Python's int would grow past 64 bits, which this engine refuses.
    private static func integer(exactly value: Double) throws(TemplateFailure) -> Int {
        guard let integer = Int(exactly: value) else { throw .unsupported("integers beyond 64 bits") }
        return integer
    }

    /// Python's `float(text)`: decimal only (Swift's `Double` also reads hexadecimal, which Python refuses).
    private static func pythonFloat(_ text: String) -> Double? {
        text.contains(where: { $0 == "x" || $0 == "X" }) ? nil : Double(text)
    }

    /// jinja2's attribute getter for `map(attribute=)`, `sort(attribute=)`…: dotted parts, digits as indexes.
    func lookup(_ attribute: TemplateValue, in item: TemplateValue) throws -> TemplateValue {
        if let index = attribute.integer, !(attribute.pythonEquals(.none)) { return try self.item(.int(index), of: item) }
        var value = item
        for part in try attribute.pythonString().split(separator: ".", omittingEmptySubsequences: false) {
            value = try self.item(Int(part).map(TemplateValue.int) ?? .string(String(part)), of: value)
        }
        return value
    }

    private func select(_ value: TemplateValue, arguments: TemplateArguments, byAttribute: Bool, keep: Bool) throws -> [TemplateValue] {
        var positional = arguments.positional[...]
        var attribute: TemplateValue?
        if byAttribute {
            guard let first = positional.popFirst() else { throw TemplateFailure(.type, "selectattr needs an attribute name") }
            attribute = first
        }
        let testName = try positional.popFirst()?.pythonString()
        let testArguments = TemplateArguments(positional: Array(positional), keyword: arguments.keyword)
        // jinja2 yields nothing for a false value (`none | selectattr(...)` is empty, not an error).
        guard value.isTruthy else { return [] }
        return try value.pythonIterate().filter { item in
            let subject = try attribute.map { try lookup($0, in: item) } ?? item
            let passes = try testName.map { try applyTest($0, to: subject, arguments: testArguments) } ?? subject.isTruthy
            return passes == keep
        }
    }

    private func map(_ value: TemplateValue, arguments: TemplateArguments) throws -> [TemplateValue] {
        guard value.isTruthy else { return [] }
        let items = try value.pythonIterate()
        if let attribute = arguments.keyword.first(where: { $0.name == "attribute" })?.value {
            let fallback = arguments.keyword.first(where: { $0.name == "default" })?.value
            return try items.map { item in
                let found = try lookup(attribute, in: item)
                return found.isUndefined ? fallback ?? found : found
            }
        }
        guard let filter = try arguments.positional.first?.pythonString() else {
            throw TemplateFailure(.type, "map needs a filter name or attribute=")
        }
        let rest = TemplateArguments(positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword)
        return try items.map { try applyFilter(filter, to: $0, arguments: rest) }
    }

    /// What jinja2's `ignore_case` compares: strings lower-cased unless case-sensitive.
    private static func sortKey(_ value: TemplateValue, caseSensitive: Bool) -> TemplateValue {
        if !caseSensitive, let text = value.text { return .string(PythonString.lower(text)) }
        return value
    }

    /// Python's `sorted(key=…, reverse=…)`: stable, and reverse keeps equal items in their order.
    private static func stableSorted(_ items: [TemplateValue], reverse: Bool, key: (TemplateValue) throws -> TemplateValue) throws -> [TemplateValue] {
        let keyed = try items.enumerated().map { (offset: $0.offset, key: try key($0.element), value: $0.element) }
        var failure: Error?
        let sorted = keyed.sorted { a, b in
            do {
                if try (reverse ? b.key.pythonLess(a.key) : a.key.pythonLess(b.key)) { return true }
                if try (reverse ? a.key.pythonLess(b.key) : b.key.pythonLess(a.key)) { return false }
            } catch {
                failure = error
            }
            return a.offset < b.offset
        }
        if let failure { throw failure }
        return sorted.map(\.value)
    }

    /// jinja2's `do_title`: words split at white space and `-({[<`, each capitalized.
    private static func jinjaTitle(_ text: String) -> String {
        var result = ""
        var atWordStart = true
        for scalar in text.unicodeScalars {
            let separator = PythonString.isSpace(scalar) || "-({[<".unicodeScalars.contains(scalar)
            result += separator ? String(scalar) : atWordStart ? String(scalar).uppercased() : String(scalar).lowercased()
            atWordStart = separator
        }
        return result
    }

    /// jinja2's `do_wordcount`: runs of word characters (`\w+`).
    private static func wordCount(_ text: String) -> Int {
        var count = 0, inWord = false
        for scalar in text.unicodeScalars {
            let word = scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            if word && !inWord { count += 1 }
            inWord = word
        }
        return count
    }

    /// jinja2's `do_indent` on the text with a newline appended (its quirk, kept for the same output).
    private static func indent(_ text: String, _ indentation: String, first: Bool, blank: Bool) -> String {
        var lines = PythonString.splitLines(text)
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.isEmpty ? "" : lines.removeFirst()
            if !lines.isEmpty {
                result += "\n" + lines.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        return first ? indentation + result : result
    }
}
