/// The Python methods templates call on values (`content.strip()`, `message.get('x')`, `d.items()`).
/// A method that changes a list or dict is refused, as transformers' ImmutableSandboxedEnvironment
/// refuses it; a real Python method this engine lacks is an "unsupported" error, never a silent undefined.
enum TemplateMethods {
    private static let mutatingListMethods: Set = ["append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"]
    private static let mutatingDictMethods: Set = ["pop", "popitem", "setdefault", "update", "clear"]
    private static let otherStringMethods: Set = [
        "casefold", "center", "encode", "expandtabs", "format_map", "index", "isalnum", "isalpha", "isascii",
        "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper",
        "ljust", "maketrans", "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rjust", "rpartition",
        "swapcase", "translate", "zfill",
    ]

    static func method(_ name: String, of value: TemplateValue) throws(TemplateFailure) -> TemplateValue? {
        switch value {
        case .string(let text): return try stringMethod(name, text)
        case .markup(let text): return try markupMethod(name, text)
        case .dict(let dictionary): return dictionaryMethod(name, dictionary)
        case .list(let items), .tuple(let items):
            if case .list = value, mutatingListMethods.contains(name) { return refused(name, "list") }
            return sequenceMethod(name, items)
        default: return nil
        }
    }

    private static func refused(_ name: String, _ type: String) -> TemplateValue {
        .callable(TemplateCallable("\(type).\(name)") { _ in
            throw TemplateFailure(.security, "access to attribute '\(name)' of '\(type)' object is unsafe (the sandbox forbids changing it)")
        })
    }

    private static func bound(_ name: String, _ body: @escaping (TemplateArguments) throws -> TemplateValue) -> TemplateValue {
        .callable(TemplateCallable(name, body))
    }

    private static func optionalString(_ value: TemplateValue?, _ function: String) throws(TemplateFailure) -> String? {
        switch value {
        case nil, .none?: return nil
        case let value? where value.text != nil: return value.text
        case let other?: throw TemplateFailure(.type, "\(function)() argument must be str or None, not \(other.typeName)")
        }
    }

    private static func requiredString(_ value: TemplateValue?, _ function: String) throws(TemplateFailure) -> String {
        guard let text = value?.text else {
            throw TemplateFailure(.type, "\(function)() argument must be str, not \(value?.typeName ?? "nothing")")
        }
        return text
    }

    private static func stringMethod(_ name: String, _ text: String) throws(TemplateFailure) -> TemplateValue? {
        switch name {
        case "strip", "lstrip", "rstrip":
            return bound("str.\(name)") { arguments in
                let chars = try optionalString(try arguments.bind(["chars"], function: name)[0], name)
                return .string(PythonString.strip(text, characters: chars, leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "split", "rsplit":
            return bound("str.\(name)") { arguments in
                let bound = try arguments.bind(["sep", "maxsplit"], function: name)
                let separator = try optionalString(bound[0], name)
                let maxSplit = bound[1]?.integer ?? -1
                let parts: [String]
                if name == "split" {
                    parts = try PythonString.split(text, separator: separator, maxSplit: maxSplit)
                } else if let separator {
                    parts = try PythonString.rightSplit(text, separator: separator, maxSplit: maxSplit)
                } else if maxSplit < 0 {
                    parts = try PythonString.split(text, separator: nil, maxSplit: -1)
                } else {
                    throw TemplateFailure.unsupported("str.rsplit() on white space with maxsplit")
                }
                return .list(parts.map(TemplateValue.string))
            }
        case "startswith", "endswith":
            return bound("str.\(name)") { arguments in
                let bound = try arguments.bind(["prefix", "start", "end"], function: name)
                guard bound[1] == nil && bound[2] == nil else { throw TemplateFailure.unsupported("str.\(name)() with start or end") }
                let candidates: [TemplateValue]
                switch bound[0] {
                case .tuple(let items)?: candidates = items
                case let single?: candidates = [single]
                case nil: throw TemplateFailure(.type, "\(name)() takes at least 1 argument (0 given)")
                }
                for candidate in candidates {
                    let affix = try requiredString(candidate, name)
                    if name == "startswith" ? PythonString.hasPrefix(text, affix) : PythonString.hasSuffix(text, affix) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            }
        case "upper", "lower", "title", "capitalize":
            return bound("str.\(name)") { arguments in
                _ = try arguments.bind([], function: name)
                switch name {
                case "upper": return .string(PythonString.upper(text))
                case "lower": return .string(PythonString.lower(text))
                case "title": return .string(PythonString.title(text))
                default: return .string(PythonString.capitalize(text))
                }
            }
        case "replace":
            return bound("str.replace") { arguments in
                let bound = try arguments.bind(["old", "new", "count"], function: name)
                return .string(PythonString.replace(text, try requiredString(bound[0], name), try requiredString(bound[1], name),
                                                    count: bound[2]?.integer ?? -1))
            }
        case "find", "count":
            return bound("str.\(name)") { arguments in
                let bound = try arguments.bind(["sub"], function: name)
                let needle = Array(try requiredString(bound[0], name).unicodeScalars), haystack = Array(text.unicodeScalars)
                if name == "find" { return .int(PythonString.find(needle, in: haystack) ?? -1) }
                if needle.isEmpty { return .int(haystack.count + 1) }
                var count = 0, start = 0
                while let found = PythonString.find(needle, in: haystack, from: start) {
                    count += 1
                    start = found + needle.count
                }
                return .int(count)
            }
        case "join":
            return bound("str.join") { arguments in
                let bound = try arguments.bind(["iterable"], function: name)
                let parts = try (bound[0] ?? .list([])).pythonIterate().map { item throws(TemplateFailure) in
                    try requiredString(item, "join")
                }
                return .string(parts.joined(separator: text))
            }
        case "format":
            return bound("str.format") { arguments in .string(try PythonFormat.format(text, arguments)) }
        default:
            if otherStringMethods.contains(name) { throw .unsupported("the str method '\(name)'") }
            return nil
        }
    }

    /// markupsafe's `Markup` methods: the str method, with string arguments escaped and the result a
    /// Markup for the methods markupsafe wraps; `split` gives Markups, `join` and `format` escape what they insert.
    private static func markupMethod(_ name: String, _ text: String) throws(TemplateFailure) -> TemplateValue? {
        guard let method = try stringMethod(name, text), case .callable(let plain) = method else { return nil }
        func escaped(_ value: TemplateValue) throws -> TemplateValue {
            value.text == nil ? value : .string(try Markup.escape(value))
        }
        switch name {
        case "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "replace", "format":
            return bound("Markup.\(name)") { arguments in
                let escapedArguments = TemplateArguments(positional: try arguments.positional.map(escaped),
                                                         keyword: try arguments.keyword.map { ($0.name, try escaped($0.value)) })
                return .markup(try plain.body(escapedArguments).pythonString())
            }
        case "split", "rsplit":
            return bound("Markup.\(name)") { arguments in
                .list(try plain.body(arguments).pythonIterate().map { .markup(try $0.pythonString()) })
            }
        case "join":
            return bound("Markup.join") { arguments in
                let items = try (try arguments.bind(["iterable"], function: name)[0] ?? .list([])).pythonIterate()
                return .markup(try items.map { try Markup.escape($0) }.joined(separator: text))
            }
        default:
            return method
        }
    }

    private static func dictionaryMethod(_ name: String, _ dictionary: TemplateDictionary) -> TemplateValue? {
        switch name {
        case "items":
            return bound("dict.items") { _ in .dictView(TemplateDictionaryView(kind: .items, items: dictionary.entries.map { .tuple([$0.key, $0.value]) })) }
        case "keys":
            return bound("dict.keys") { _ in .dictView(TemplateDictionaryView(kind: .keys, items: dictionary.keys)) }
        case "values":
            return bound("dict.values") { _ in .dictView(TemplateDictionaryView(kind: .values, items: dictionary.values)) }
        case "get":
            return bound("dict.get") { arguments in
                let bound = try arguments.bind(["key", "default"], function: "get")
                guard let key = bound[0] else { throw TemplateFailure(.type, "get expected at least 1 argument, got 0") }
                return dictionary[key] ?? bound[1] ?? .none
            }
        case "copy":
            return bound("dict.copy") { _ in .dict(dictionary) }
        default:
            return mutatingDictMethods.contains(name) ? refused(name, "dict") : nil
        }
    }

    private static func sequenceMethod(_ name: String, _ items: [TemplateValue]) -> TemplateValue? {
        switch name {
        case "index":
            return bound("list.index") { arguments in
                let bound = try arguments.bind(["value"], function: "index")
                guard let value = bound[0], let position = items.firstIndex(where: { $0.pythonEquals(value) }) else {
                    throw TemplateFailure(.type, "value is not in list")
                }
                return .int(position)
            }
        case "count":
            return bound("list.count") { arguments in
                let bound = try arguments.bind(["value"], function: "count")
                return .int(items.filter { item in bound[0].map(item.pythonEquals) ?? false }.count)
            }
        default:
            return nil
        }
    }
}
