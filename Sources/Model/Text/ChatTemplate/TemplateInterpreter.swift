import Foundation

/// Runs a parsed template: walks the statements, keeps the output buffer and the current line (for
/// errors), and gives loops, macros and `set` jinja2's scoping.
final class TemplateInterpreter {
    /// What `strftime_now` reads; the tests pin it.
    struct Clock {
        var now: Date
        var timeZone: TimeZone

        static var system: Clock { Clock(now: Date(), timeZone: .current) }
    }

    let clock: Clock
    /// The line of the statement running now; errors carry it.
    var line = 1
    private var output = ""
    /// Macro calls in progress. A macro may call itself; the chain is bounded so that a template cannot
    /// exhaust the stack (jinja2 stops at Python's recursion limit).
    private var macroDepth = 0
    static let maximumMacroDepth = 64

    private enum Flow {
        case normal, breakLoop, continueLoop
    }

    init(clock: Clock) {
        self.clock = clock
    }

    func render(_ template: TemplateFrame, context: [String: TemplateValue]) throws(ChatTemplateError) -> String {
        let globals = TemplateScope(parent: nil, variables: TemplateGlobals.functions(clock: clock))
        let variables = TemplateScope(parent: globals, variables: context)
        do {
            output = ""
            _ = try execute(template.nodes, in: enter(template, under: variables))
            return output
        } catch let error as ChatTemplateError {
            throw error
        } catch let failure as TemplateFailure {
            throw failure.error(line: line)
        } catch {
            throw .render(line: line, message: String(describing: error))
        }
    }

    /// Runs `nodes` with their output going to a fresh buffer, and returns that buffer. (jinja2 lets a
    /// `break` inside a `set` or `filter` block leave the enclosing loop half-way through the block;
    /// that is refused here rather than imitated.)
    func capture(_ frame: TemplateFrame, in scope: TemplateScope) throws -> String {
        let saved = output
        output = ""
        defer { output = saved }
        guard try execute(frame.nodes, in: scope) == .normal else {
            throw TemplateFailure.unsupported("break or continue inside a set or filter block")
        }
        return output
    }

    /// A fresh scope for one run of a frame, with the names jinja2 starts undefined there.
    private func enter(_ frame: TemplateFrame, under parent: TemplateScope) -> TemplateScope {
        let scope = TemplateScope(parent: parent)
        for name in frame.undefinedAtEntry { scope.set(name, .undefined("'\(name)' is undefined")) }
        return scope
    }

    private func execute(_ nodes: [TemplateNode], in scope: TemplateScope) throws -> Flow {
        for node in nodes {
            line = node.line
            switch node.statement {
            case .text(let text):
                output += text
            case .output(let expression):
                output += try evaluate(expression, in: scope).pythonString()
            case .forLoop(let target, let iterable, let condition, let body, let otherwise):
                let flow = try loop(target, over: iterable, if: condition, body: body, otherwise: otherwise, in: scope)
                if flow != .normal { return flow }
            case .conditional(let branches, let otherwise):
                var chosen = otherwise
                for branch in branches {
                    line = branch.line
                    if try evaluate(branch.condition, in: scope).isTruthy {
                        chosen = branch.body
                        break
                    }
                }
                let flow = try execute(chosen, in: scope)
                if flow != .normal { return flow }
            case .assign(let target, let expression):
                try assign(try evaluate(expression, in: scope), to: target, in: scope)
            case .assignBlock(let target, let filters, let body):
                var value = TemplateValue.string(try capture(body, in: enter(body, under: scope)))
                line = node.line
                for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
                try assign(value, to: target, in: scope)
            case .macro(let macro):
                scope.set(macro.name, .callable(makeMacro(macro, definedIn: scope)))
            case .filterBlock(let filters, let body):
                var value = TemplateValue.string(try capture(body, in: enter(body, under: scope)))
                line = node.line
                for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
                output += try value.pythonString()
            case .generation(let body):
                let flow = try execute(body.nodes, in: enter(body, under: scope))
                if flow != .normal { return flow }
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private func loop(_ target: TemplateTarget, over iterable: TemplateExpression, if condition: TemplateExpression?,
                      body: TemplateFrame, otherwise: TemplateFrame, in scope: TemplateScope) throws -> Flow {
        let loopLine = line
        var items = try evaluate(iterable, in: scope).pythonIterate()
        if let condition {
            items = try items.filter { item in
                let iteration = TemplateScope(parent: scope)
                try assign(item, to: target, in: iteration)
                return try evaluate(condition, in: iteration).isTruthy
            }
        }
        // jinja2 runs the else block unless some iteration reached the end of the body: an empty loop,
        // or one whose every iteration ended in break or continue. It runs outside the loop, so a
        // break there leaves the enclosing one.
        var completedAnIteration = false
        for (index, item) in items.enumerated() {
            let iteration = enter(body, under: scope)
            iteration.set("loop", loopVariable(index: index, items: items))
            line = loopLine
            try assign(item, to: target, in: iteration)
            let flow = try execute(body.nodes, in: iteration)
            if flow == .normal { completedAnIteration = true }
            if flow == .breakLoop { break }
        }
        if !completedAnIteration { return try execute(otherwise.nodes, in: enter(otherwise, under: scope)) }
        return .normal
    }

    /// jinja2's `LoopContext` as a mapping (`previtem`/`nextitem` are absent, hence undefined, at the ends).
    private func loopVariable(index: Int, items: [TemplateValue]) -> TemplateValue {
        var loop = TemplateDictionary(strings: [
            ("index", .int(index + 1)), ("index0", .int(index)),
            ("revindex", .int(items.count - index)), ("revindex0", .int(items.count - index - 1)),
            ("first", .bool(index == 0)), ("last", .bool(index == items.count - 1)),
            ("length", .int(items.count)), ("depth", .int(1)), ("depth0", .int(0)),
        ])
        if index > 0 { loop["previtem"] = items[index - 1] }
        if index + 1 < items.count { loop["nextitem"] = items[index + 1] }
        loop["cycle"] = .callable(TemplateCallable("loop.cycle") { arguments in
            guard !arguments.positional.isEmpty else { throw TemplateFailure(.type, "no items for cycling given") }
            return arguments.positional[index % arguments.positional.count]
        })
        loop["changed"] = .callable(TemplateCallable("loop.changed") { _ in throw TemplateFailure.unsupported("loop.changed()") })
        return .dict(loop)
    }

    func assign(_ value: TemplateValue, to target: TemplateTarget, in scope: TemplateScope) throws {
        switch target {
        case .name(let name):
            scope.set(name, value)
        case .attribute(let objectExpression, let attribute):
            guard case .namespace(let namespace) = try evaluate(objectExpression, in: scope) else {
                throw TemplateFailure(.type, "cannot assign attribute on non-namespace object")
            }
            try TemplateGlobals.checkNamespaceName(attribute)
            namespace.attributes[attribute] = value
        case .tuple(let targets):
            let items = try value.pythonIterate()
            guard items.count == targets.count else {
                throw TemplateFailure(.type, "cannot unpack \(items.count) values into \(targets.count) names")
            }
            for (item, target) in zip(items, targets) { try assign(item, to: target, in: scope) }
        }
    }

    /// A macro renders its body with its parameters bound, in a scope under the one it was defined in;
    /// extra positional and keyword arguments land in `varargs` and `kwargs`. It holds that scope
    /// weakly (the scope holds the macro), so a render leaves no reference cycle behind.
    private func makeMacro(_ macro: TemplateMacroSyntax, definedIn scope: TemplateScope) -> TemplateCallable {
        TemplateCallable(macro.name) { [unowned self, weak scope] arguments in
            guard let scope else { throw TemplateFailure.unsupported("calling macro '\(macro.name)' outside the scope it was defined in") }
            guard self.macroDepth < Self.maximumMacroDepth else {
                throw TemplateFailure.unsupported("macro calls nested deeper than \(Self.maximumMacroDepth)")
            }
            self.macroDepth += 1
            defer { self.macroDepth -= 1 }
            let callerLine = self.line
            let call = self.enter(macro.body, under: scope)
            var keywords = arguments.keyword
            for (position, parameter) in macro.parameters.enumerated() {
                if position < arguments.positional.count {
                    call.set(parameter, arguments.positional[position])
                } else if let keyword = keywords.firstIndex(where: { $0.name == parameter }) {
                    call.set(parameter, keywords.remove(at: keyword).value)
                } else if let value = macro.defaults[parameter] {
                    call.set(parameter, try self.evaluate(value, in: call))
                } else {
                    call.set(parameter, .undefined("parameter '\(parameter)' was not provided"))
                }
            }
            if !macro.takesExtraKeywords, let extra = keywords.first {
                throw TemplateFailure(.type, "macro '\(macro.name)' takes no keyword argument '\(extra.name)'")
            }
            if !macro.takesExtraPositional, arguments.positional.count > macro.parameters.count {
                throw TemplateFailure(.type, "macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)")
            }
            call.set("varargs", .tuple(Array(arguments.positional.dropFirst(macro.parameters.count))))
            call.set("kwargs", .dict(TemplateDictionary(strings: keywords.map { ($0.name, $0.value) })))
            let rendered = try self.capture(macro.body, in: call)
            self.line = callerLine
            return .string(rendered)
        }
    }
}
