import Foundation

/// The functions a chat template can call by name: jinja2's sandbox globals (`range`, `namespace`,
/// `dict`) and the ones transformers adds (`raise_exception`, `strftime_now`).
enum TemplateGlobals {
    static func functions(clock: TemplateInterpreter.Clock) -> [String: TemplateValue] {
        var functions: [String: TemplateValue] = [:]
        func define(_ name: String, _ body: @escaping (TemplateArguments) throws -> TemplateValue) {
            functions[name] = .callable(TemplateCallable(name, body))
        }
        define("raise_exception") { arguments in
            let message = try arguments.bind(["message"], function: "raise_exception")[0]
            throw TemplateFailure(.raised, try (message ?? .none).pythonString())
        }
        define("strftime_now") { arguments in
            guard let format = try arguments.bind(["format"], function: "strftime_now")[0]?.text else {
                throw TemplateFailure(.type, "strftime_now() argument must be str")
            }
            return .string(try PythonStrftime.format(clock.now, in: clock.timeZone, format))
        }
        define("namespace") { arguments in
            let attributes = try dictionary(arguments, function: "namespace")
            for key in attributes.keys {
                if let name = key.text { try checkNamespaceName(name) }
            }
            return .namespace(TemplateNamespace(attributes))
        }
        define("dict") { arguments in .dict(try dictionary(arguments, function: "dict")) }
        define("range") { arguments in
            let bounds = try arguments.positional.map { value throws(TemplateFailure) in
                guard let integer = value.integer else {
                    throw TemplateFailure(.type, "'\(value.typeName)' object cannot be interpreted as an integer")
                }
                return integer
            }
            guard arguments.keyword.isEmpty, (1...3).contains(bounds.count) else {
                throw TemplateFailure(.type, "range expected 1 to 3 integer arguments")
            }
            let start = bounds.count == 1 ? 0 : bounds[0], stop = bounds.count == 1 ? bounds[0] : bounds[1]
            let step = bounds.count == 3 ? bounds[2] : 1
            guard step != 0 else { throw TemplateFailure(.type, "range() arg 3 must not be zero") }
            // jinja2's sandbox refuses ranges over MAX_RANGE; taking one more than that (lazily)
            // tells without building a huge range first.
            let values = Array(stride(from: start, to: stop, by: step).prefix(100_001))
            guard values.count <= 100_000 else { throw TemplateFailure(.security, "range too big, refused by the sandbox") }
            return .list(values.map(TemplateValue.int))
        }
        for name in ["lipsum", "cycler", "joiner"] {
            define(name) { _ in throw TemplateFailure.unsupported("the global function '\(name)'") }
        }
        return functions
    }

    /// `dict(mapping_or_pairs, **kwargs)`, as Python builds it.
    private static func dictionary(_ arguments: TemplateArguments, function: String) throws -> TemplateDictionary {
        guard arguments.positional.count <= 1 else {
            throw TemplateFailure(.type, "\(function)() expected at most 1 positional argument")
        }
        var result = TemplateDictionary()
        switch arguments.positional.first {
        case nil: break
        case .dict(let source)?: result = source
        case let pairs?:
            for pair in try pairs.pythonIterate() {
                let items = try pair.pythonIterate()
                guard items.count == 2 else { throw TemplateFailure(.type, "dictionary update sequence element has length \(items.count); 2 is required") }
                result[items[0]] = items[1]
            }
        }
        for (name, value) in arguments.keyword { result[name] = value }
        return result
    }

    /// transformers' namespace refuses underscore-prefixed attributes (they reach CPython internals).
    static func checkNamespaceName(_ name: String) throws(TemplateFailure) {
        if name.hasPrefix("_") {
            throw TemplateFailure(.security, "chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(name)'")
        }
    }
}
