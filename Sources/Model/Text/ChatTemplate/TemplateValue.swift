/// A value inside a template, with the Python type it stands for (a template sees the Python objects
/// `transformers` hands to jinja2: str, int, float, bool, None, list, tuple, dict, and jinja2's own
/// Undefined, Namespace, macros and generators).
public enum TemplateValue: Sendable {
    /// jinja2's default `Undefined`; the payload says what was looked up, for error messages.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// markupsafe's `Markup`, what `|safe` and `|escape` return: a str that HTML-escapes what is
    /// added to it (`"'"|safe + x` escapes x). Printing and `~` give its text unchanged.
    case markup(String)
    case list([TemplateValue])
    case tuple([TemplateValue])
    case dict(TemplateDictionary)
    /// What `d.items()`, `d.keys()` and `d.values()` return: iterable and sized, but not a list
    /// (no indexing, no JSON, printed `dict_items([...])`).
    case dictView(TemplateDictionaryView)
    /// A generator, as jinja2's `select`, `map`, `reverse`, `items` filters return: always true, no
    /// length, and used up once iterated (a second loop over it sees nothing).
    case iterator(TemplateIterator)
    case namespace(TemplateNamespace)
    case callable(TemplateCallable)

    /// The text of a str or a Markup (a str subclass, which Python treats as a str nearly everywhere).
    var text: String? {
        switch self {
        case .string(let text), .markup(let text): text
        default: nil
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The Python type name, as error messages show it.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .markup: "Markup"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .dictView(let view): view.kind.rawValue
        case .iterator: "generator"
        case .namespace: "Namespace"
        case .callable: "function"
        }
    }
}

/// A Python dict: insertion-ordered, keys compared as Python compares them.
public struct TemplateDictionary: Sendable {
    public private(set) var entries: [(key: TemplateValue, value: TemplateValue)]

    public init(_ entries: [(TemplateValue, TemplateValue)] = []) {
        self.entries = []
        for (key, value) in entries { self[key] = value }
    }

    public init(strings: [(String, TemplateValue)]) {
        self.init(strings.map { (.string($0.0), $0.1) })
    }

    public subscript(key: TemplateValue) -> TemplateValue? {
        get { entries.first { $0.key.pythonEquals(key) }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key.pythonEquals(key) }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    public subscript(key: String) -> TemplateValue? {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }

    var keys: [TemplateValue] { entries.map(\.key) }
    var values: [TemplateValue] { entries.map(\.value) }
    var count: Int { entries.count }
}

public struct TemplateDictionaryView: Sendable {
    public enum Kind: String, Sendable {
        case keys = "dict_keys", values = "dict_values", items = "dict_items"
    }

    public let kind: Kind
    public let items: [TemplateValue]
}

/// jinja2's `namespace()`: the one mutable object a sandboxed template may change (`{% set ns.x = … %}`).
/// A reference, so a loop body that assigns to it changes what the enclosing scope sees.
public final class TemplateNamespace: @unchecked Sendable {
    var attributes: TemplateDictionary

    init(_ attributes: TemplateDictionary) {
        self.attributes = attributes
    }
}

/// The items a generator has not yielded yet. A reference, so every use of the value sees it consumed;
/// lazy, as jinja2's filters are generator functions: their work (and its errors) happens at the
/// first read, not where the filter is written.
public final class TemplateIterator: @unchecked Sendable {
    private var source: (() throws -> [TemplateValue])?
    private var remaining: ArraySlice<TemplateValue> = []

    init(_ source: @escaping () throws -> [TemplateValue]) {
        self.source = source
    }

    private func start() throws(TemplateFailure) {
        guard let source else { return }
        self.source = nil
        do {
            remaining = try source()[...]
        } catch let failure as TemplateFailure {
            throw failure
        } catch {
            // The filters behind a generator fail only with TemplateFailure; anything else is named as it is.
            throw TemplateFailure(.type, String(describing: error))
        }
    }

    /// Everything not yet yielded; the generator is exhausted afterwards.
    func drain() throws(TemplateFailure) -> [TemplateValue] {
        try start()
        defer { remaining = [] }
        return Array(remaining)
    }

    func next() throws(TemplateFailure) -> TemplateValue? {
        try start()
        return remaining.popFirst()
    }
}

/// Arguments of a call, filter or test, as Python passes them.
struct TemplateArguments {
    var positional: [TemplateValue] = []
    var keyword: [(name: String, value: TemplateValue)] = []

    /// Binds the arguments to parameter names in order (keywords by name), as a Python signature does.
    func bind(_ names: [String], function: String) throws(TemplateFailure) -> [TemplateValue?] {
        guard positional.count <= names.count else {
            throw TemplateFailure(.type, "\(function)() takes at most \(names.count) argument(s) (\(positional.count) given)")
        }
        var bound: [TemplateValue?] = positional.map { $0 } + Array(repeating: nil, count: names.count - positional.count)
        for (name, value) in keyword {
            guard let index = names.firstIndex(of: name) else {
                throw TemplateFailure(.type, "\(function)() got an unexpected keyword argument '\(name)'")
            }
            guard bound[index] == nil else { throw TemplateFailure(.type, "\(function)() got multiple values for argument '\(name)'") }
            bound[index] = value
        }
        return bound
    }
}

/// A function a template can call: a macro, a global such as `raise_exception`, or a bound method such as `str.strip`.
public final class TemplateCallable: @unchecked Sendable {
    let name: String
    let body: (TemplateArguments) throws -> TemplateValue

    init(_ name: String, _ body: @escaping (TemplateArguments) throws -> TemplateValue) {
        self.name = name
        self.body = body
    }
}
