/// jinja2 compiles each frame (the template, a loop body, a macro, …) to Python code whose local
/// variables it chooses ahead of time (`jinja2.idtracking`), and that choice shows in what a template
/// prints. A name that a frame assigns, that it has not read before the assignment, and that no
/// enclosing frame uses, starts *undefined* for the whole frame, even where a render variable of the
/// same name exists: `{% for m in messages %}{{ a }}{% endfor %}{% set a = 1 %}` prints nothing for
/// `a` inside the loop, though `a` was passed to the render. Assignments inside an `if` never do this
/// (jinja2 falls back to the enclosing value there). Every other read finds the nearest value at the
/// time it runs, which the interpreter's scope chain gives; this pass marks only the names that start
/// undefined, frame by frame.
enum TemplateScopeAnalysis {
    static func analyze(_ root: TemplateFrame) -> TemplateFrame {
        frame(root, enclosing: [], parameters: [])
    }

    /// Analyses one frame (its own statements, `if` branches included), then its child frames, which
    /// see every name this frame and its ancestors use.
    private static func frame(_ frame: TemplateFrame, enclosing: Set<String>, parameters: Set<String>) -> TemplateFrame {
        var symbols = FrameSymbols(enclosing: enclosing, references: parameters)
        symbols.visit(frame.nodes, inBranch: false)
        let visible = enclosing.union(symbols.references)
        return TemplateFrame(nodes: frame.nodes.map { children(of: $0, visible: visible) }, undefinedAtEntry: symbols.undefinedAtEntry)
    }

    private static func children(of node: TemplateNode, visible: Set<String>) -> TemplateNode {
        let statement: TemplateNode.Statement
        switch node.statement {
        case .forLoop(let target, let iterable, let condition, let body, let otherwise):
            statement = .forLoop(target: target, iterable: iterable, condition: condition,
                                 body: frame(body, enclosing: visible, parameters: target.names.union(["loop"])),
                                 otherwise: frame(otherwise, enclosing: visible, parameters: []))
        case .conditional(let branches, let otherwise):
            statement = .conditional(branches: branches.map { ($0.condition, $0.line, $0.body.map { children(of: $0, visible: visible) }) },
                                     otherwise: otherwise.map { children(of: $0, visible: visible) })
        case .macro(let macro):
            let parameters = Set(macro.parameters).union(["varargs", "kwargs", "caller"])
            let read = names(in: macro.body.nodes)
            statement = .macro(TemplateMacroSyntax(name: macro.name, parameters: macro.parameters, defaults: macro.defaults,
                                                   body: frame(macro.body, enclosing: visible, parameters: parameters),
                                                   takesExtraPositional: read.contains("varargs"),
                                                   takesExtraKeywords: read.contains("kwargs")))
        case .assignBlock(let target, let filters, let body):
            statement = .assignBlock(target, filters: filters, body: frame(body, enclosing: visible, parameters: []))
        case .filterBlock(let filters, let body):
            statement = .filterBlock(filters, body: frame(body, enclosing: visible, parameters: []))
        case .generation(let body):
            statement = .generation(frame(body, enclosing: visible, parameters: []))
        case .text, .output, .assign, .breakLoop, .continueLoop:
            return node
        }
        return TemplateNode(statement: statement, line: node.line)
    }
}

/// Every name read anywhere in `nodes`, nested frames included (jinja2's `find_undeclared`).
private func names(in nodes: [TemplateNode]) -> Set<String> {
    var found = Set<String>()
    for node in nodes {
        switch node.statement {
        case .text, .breakLoop, .continueLoop: break
        case .output(let expression): found.formUnion(expression.names)
        case .forLoop(_, let iterable, let condition, let body, let otherwise):
            found.formUnion(iterable.names + (condition?.names ?? []))
            found.formUnion(names(in: body.nodes).union(names(in: otherwise.nodes)))
        case .conditional(let branches, let otherwise):
            for branch in branches {
                found.formUnion(branch.condition.names)
                found.formUnion(names(in: branch.body))
            }
            found.formUnion(names(in: otherwise))
        case .assign(let target, let value):
            found.formUnion(value.names)
            if case .attribute(let namespace, _) = target { found.formUnion(namespace.names) }
        case .assignBlock(_, let filters, let body), .filterBlock(let filters, let body):
            for filter in filters { found.formUnion(filter.arguments.all.flatMap(\.names)) }
            found.formUnion(names(in: body.nodes))
        case .macro(let macro):
            found.formUnion(macro.defaults.values.flatMap(\.names))
            found.formUnion(names(in: macro.body.nodes))
        case .generation(let body):
            found.formUnion(names(in: body.nodes))
        }
    }
    return found
}

/// The names one frame reads and assigns, in jinja2's visiting order (`FrameSymbolVisitor`).
private struct FrameSymbols {
    let enclosing: Set<String>
    var references: Set<String>
    var undefinedAtEntry: [String] = []

    mutating func load(_ name: String) {
        if !enclosing.contains(name) { references.insert(name) }
    }

    mutating func store(_ name: String, inBranch: Bool) {
        guard !references.contains(name) else { return }
        references.insert(name)
        if !enclosing.contains(name) && !inBranch { undefinedAtEntry.append(name) }
    }

    mutating func load(_ expression: TemplateExpression) {
        for name in expression.names { load(name) }
    }

    mutating func store(_ target: TemplateTarget, inBranch: Bool) {
        switch target {
        case .name(let name): store(name, inBranch: inBranch)
        case .attribute(let namespace, _): load(namespace)
        case .tuple(let targets): for target in targets { store(target, inBranch: inBranch) }
        }
    }

    /// A frame's own statements; the bodies of loops, macros and blocks are frames of their own, of
    /// which only what is evaluated here (a loop's iterable, a filter block's arguments) counts.
    mutating func visit(_ nodes: [TemplateNode], inBranch: Bool) {
        for node in nodes {
            switch node.statement {
            case .output(let expression):
                load(expression)
            case .forLoop(_, let iterable, _, _, _):
                load(iterable)
            case .conditional(let branches, let otherwise):
                for branch in branches {
                    load(branch.condition)
                    visit(branch.body, inBranch: true)
                }
                visit(otherwise, inBranch: true)
            case .assign(let target, let value):
                load(value)
                store(target, inBranch: inBranch)
            case .assignBlock(let target, _, _):
                store(target, inBranch: inBranch)
            case .macro(let macro):
                store(macro.name, inBranch: inBranch)
            case .filterBlock(let filters, _):
                for filter in filters { for argument in filter.arguments.all { load(argument) } }
            case .text, .generation, .breakLoop, .continueLoop:
                break
            }
        }
    }
}

extension TemplateTarget {
    var names: Set<String> {
        switch self {
        case .name(let name): [name]
        case .attribute: []
        case .tuple(let targets): targets.reduce(into: []) { $0.formUnion($1.names) }
        }
    }
}

extension TemplateCallSyntax {
    var all: [TemplateExpression] { positional + keyword.map(\.value) }
}

extension TemplateExpression {
    /// The variables the expression reads.
    var names: [String] {
        switch self {
        case .literal: []
        case .name(let name): [name]
        case .list(let items), .tuple(let items): items.flatMap(\.names)
        case .dict(let entries): entries.flatMap { $0.key.names + $0.value.names }
        case .attribute(let base, _): base.names
        case .item(let base, let key): base.names + key.names
        case .slice(let base, let start, let stop, let step): base.names + [start, stop, step].flatMap { $0?.names ?? [] }
        case .call(let callee, let arguments): callee.names + arguments.all.flatMap(\.names)
        case .filter(let base, let filter): base.names + filter.arguments.all.flatMap(\.names)
        case .test(let base, _, let arguments, _): base.names + arguments.all.flatMap(\.names)
        case .not(let operand), .negate(let operand), .plus(let operand): operand.names
        case .binary(_, let left, let right), .concatenate(let left, let right), .and(let left, let right), .or(let left, let right):
            left.names + right.names
        case .compare(let first, let operations): first.names + operations.flatMap(\.1.names)
        case .conditional(let test, let then, let otherwise): test.names + then.names + (otherwise?.names ?? [])
        }
    }
}
