/// The parsed template: statements (with their line) and expressions, as jinja2's `nodes` module has them.
indirect enum TemplateExpression: Sendable {
    case literal(TemplateValue)
    case name(String)
    case list([TemplateExpression])
    case tuple([TemplateExpression])
    case dict([(key: TemplateExpression, value: TemplateExpression)])
    /// `a.b`: attribute first, then item (jinja2's `getattr`).
    case attribute(TemplateExpression, String)
    /// `a[b]`: item first, then attribute (jinja2's `getitem`).
    case item(TemplateExpression, TemplateExpression)
    case slice(TemplateExpression, start: TemplateExpression?, stop: TemplateExpression?, step: TemplateExpression?)
    case call(TemplateExpression, TemplateCallSyntax)
    case filter(TemplateExpression, TemplateFilterSyntax)
    case test(TemplateExpression, name: String, TemplateCallSyntax, negated: Bool)
    case not(TemplateExpression)
    case negate(TemplateExpression)
    case plus(TemplateExpression)
    case binary(TemplateBinaryOperator, TemplateExpression, TemplateExpression)
    /// `a ~ b`: both sides as `str()`.
    case concatenate(TemplateExpression, TemplateExpression)
    case and(TemplateExpression, TemplateExpression)
    case or(TemplateExpression, TemplateExpression)
    /// `a < b < c` chains as in Python.
    case compare(TemplateExpression, [(TemplateComparison, TemplateExpression)])
    case conditional(test: TemplateExpression, then: TemplateExpression, otherwise: TemplateExpression?)
}

enum TemplateBinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
}

enum TemplateComparison: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case `in` = "in", notIn = "not in"
}

struct TemplateCallSyntax: Sendable {
    var positional: [TemplateExpression] = []
    var keyword: [(name: String, value: TemplateExpression)] = []
}

struct TemplateFilterSyntax: Sendable {
    let name: String
    let arguments: TemplateCallSyntax
}

/// What a `for` or `set` assigns to.
indirect enum TemplateTarget: Sendable {
    case name(String)
    /// `ns.attribute` (only namespaces accept it).
    case attribute(TemplateExpression, String)
    case tuple([TemplateTarget])
}

struct TemplateMacroSyntax: Sendable {
    let name: String
    let parameters: [String]
    /// Defaults of the last parameters, evaluated at each call as jinja2 does.
    let defaults: [String: TemplateExpression]
    let body: TemplateFrame
    /// Whether the body reads `varargs` / `kwargs`; jinja2 refuses extra arguments to a macro that does not.
    var takesExtraPositional = false
    var takesExtraKeywords = false
}

/// The statements of a jinja2 frame (the template, a loop body or else block, a macro, a block
/// `set`, a `filter` or `generation` block): a scope of its own, whose names jinja2 decides when it
/// compiles the template (see TemplateScopeAnalysis).
struct TemplateFrame: Sendable {
    var nodes: [TemplateNode]
    /// Names this frame assigns before any read, and that no enclosing frame uses: jinja2 starts them
    /// undefined, hiding a render variable of the same name for the whole frame.
    var undefinedAtEntry: [String] = []
}

struct TemplateNode: Sendable {
    indirect enum Statement: Sendable {
        case text(String)
        case output(TemplateExpression)
        case forLoop(target: TemplateTarget, iterable: TemplateExpression, condition: TemplateExpression?,
                     body: TemplateFrame, otherwise: TemplateFrame)
        /// `if`/`elif`; each branch keeps the line of its own tag, for errors in its condition.
        case conditional(branches: [(condition: TemplateExpression, line: Int, body: [TemplateNode])], otherwise: [TemplateNode])
        case assign(TemplateTarget, TemplateExpression)
        case assignBlock(TemplateTarget, filters: [TemplateFilterSyntax], body: TemplateFrame)
        case macro(TemplateMacroSyntax)
        case filterBlock([TemplateFilterSyntax], body: TemplateFrame)
        /// transformers' `{% generation %}` marks the assistant's tokens; its body renders as it is.
        case generation(TemplateFrame)
        case breakLoop
        case continueLoop
    }

    let statement: Statement
    let line: Int
}
