/// Recursive descent over the tokens, following jinja2's `Parser` rule by rule (the precedence of
/// `parse_or` … `parse_unary`, where filters and tests bind, how tuples and assignment targets are read).
struct TemplateParser {
    private let tokens: [TemplateToken]
    private var index = 0
    /// How many `for` bodies enclose the current statement (a macro body starts again at 0):
    /// `break` and `continue` outside a loop are a syntax error, as Python's compiler makes them in jinja2.
    private var loopDepth = 0
    /// How deeply the statement or expression being read is nested. A template is untrusted input and
    /// the parser and interpreter recurse, so nesting is bounded well before the stack is (jinja2's own
    /// recursive parser stops at Python's recursion limit, about as deep).
    private var nesting = 0
    static let maximumNesting = 64

    private mutating func enterNesting() throws(ChatTemplateError) {
        nesting += 1
        guard nesting <= Self.maximumNesting else {
            throw .unsupported(line: line, construct: "nesting deeper than \(Self.maximumNesting) levels")
        }
    }

    static func parse(_ template: String) throws(ChatTemplateError) -> TemplateFrame {
        var parser = TemplateParser(tokens: try TemplateLexer.tokenize(template))
        let (body, _) = try parser.statements(until: [])
        return TemplateScopeAnalysis.analyze(TemplateFrame(nodes: body))
    }

    private init(tokens: [TemplateToken]) {
        self.tokens = tokens
    }

    // MARK: Tokens

    private var current: TemplateToken { tokens[index] }
    private var line: Int { current.line }

    private mutating func next() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isOperator(_ op: String) -> Bool { current.kind == .operator(op) }
    private func isName(_ name: String) -> Bool { current.kind == .name(name) }

    private func peekIsName(_ name: String) -> Bool {
        index + 1 < tokens.count && tokens[index + 1].kind == .name(name)
    }

    private mutating func skip(operator op: String) -> Bool {
        guard isOperator(op) else { return false }
        index += 1
        return true
    }

    private mutating func skip(name: String) -> Bool {
        guard isName(name) else { return false }
        index += 1
        return true
    }

    private func describe(_ kind: TemplateToken.Kind) -> String {
        switch kind {
        case .data: "template text"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let name): "'\(name)'"
        case .string: "a string"
        case .integer, .float: "a number"
        case .operator(let op): "'\(op)'"
        case .end: "the end of the template"
        }
    }

    private func unexpected(_ expected: String) -> ChatTemplateError {
        .syntax(line: line, message: "expected \(expected), found \(describe(current.kind))")
    }

    private mutating func expect(operator op: String) throws(ChatTemplateError) {
        guard skip(operator: op) else { throw unexpected("'\(op)'") }
    }

    private mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let name) = current.kind else { throw unexpected("a name") }
        index += 1
        return name
    }

    private mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard current.kind == .blockEnd else { throw unexpected("'%}'") }
        index += 1
    }

    // MARK: Statements

    /// Parses nodes until a block tag whose keyword is in `endings`; returns the body and that keyword
    /// (the tag's `{%` and keyword are consumed, the rest of the tag is left to the caller).
    private mutating func statements(until endings: Set<String>) throws(ChatTemplateError) -> ([TemplateNode], String) {
        var body: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .data(let text):
                index += 1
                body.append(TemplateNode(statement: .text(text), line: token.line))
            case .variableBegin:
                index += 1
                let expression = try tuple()
                guard current.kind == .variableEnd else { throw unexpected("'}}'") }
                index += 1
                body.append(TemplateNode(statement: .output(expression), line: token.line))
            case .blockBegin:
                index += 1
                guard case .name(let keyword) = current.kind else { throw unexpected("a statement keyword") }
                if endings.contains(keyword) {
                    index += 1
                    return (body, keyword)
                }
                body.append(try statement(keyword))
            case .end:
                if endings.isEmpty { return (body, "") }
                let expected = endings.sorted().map { "'\($0)'" }.joined(separator: " or ")
                throw .syntax(line: token.line, message: "unexpected end of template, expected \(expected)")
            default:
                throw unexpected("template text or a tag")
            }
        }
    }

    private mutating func statement(_ keyword: String) throws(ChatTemplateError) -> TemplateNode {
        try enterNesting()
        defer { nesting -= 1 }
        let statementLine = line
        index += 1
        let statement: TemplateNode.Statement
        switch keyword {
        case "for": statement = try forLoop()
        case "if": statement = try conditional()
        case "set": statement = try assignment()
        case "macro": statement = try macro()
        case "filter":
            let filters = try filterChain(startsInline: true)
            try expectBlockEnd()
            statement = .filterBlock(filters, body: TemplateFrame(nodes: try closedBody("endfilter")))
        case "generation":
            try expectBlockEnd()
            statement = .generation(TemplateFrame(nodes: try closedBody("endgeneration")))
        case "break", "continue":
            guard loopDepth > 0 else { throw .syntax(line: statementLine, message: "'\(keyword)' outside a for loop") }
            try expectBlockEnd()
            statement = keyword == "break" ? .breakLoop : .continueLoop
        case "call", "include", "import", "from", "extends", "block", "with", "autoescape", "raw", "trans":
            throw .unsupported(line: statementLine, construct: "the '\(keyword)' statement")
        default:
            throw .syntax(line: statementLine, message: "unknown statement '\(keyword)' (jinja2 would refuse it too)")
        }
        return TemplateNode(statement: statement, line: statementLine)
    }

    private mutating func closedBody(_ ending: String) throws(ChatTemplateError) -> [TemplateNode] {
        let (body, _) = try statements(until: [ending])
        try expectBlockEnd()
        return body
    }

    private mutating func forLoop() throws(ChatTemplateError) -> TemplateNode.Statement {
        let target = try assignTarget(namesOnly: true, endingAt: "in")
        guard skip(name: "in") else { throw unexpected("'in'") }
        let iterable = try tuple(conditional: false, endingAt: "recursive")
        var condition: TemplateExpression?
        if skip(name: "if") { condition = try expression() }
        if isName("recursive") { throw .unsupported(line: line, construct: "a recursive for loop") }
        try expectBlockEnd()
        loopDepth += 1
        let (body, ending) = try statements(until: ["endfor", "else"])
        loopDepth -= 1
        var otherwise: [TemplateNode] = []
        try expectBlockEnd()
        if ending == "else" { otherwise = try closedBody("endfor") }
        return .forLoop(target: target, iterable: iterable, condition: condition, body: TemplateFrame(nodes: body),
                        otherwise: TemplateFrame(nodes: otherwise))
    }

    private mutating func conditional() throws(ChatTemplateError) -> TemplateNode.Statement {
        var branches: [(condition: TemplateExpression, line: Int, body: [TemplateNode])] = []
        var conditionLine = line
        var condition = try tuple(conditional: false)
        while true {
            try expectBlockEnd()
            let (body, ending) = try statements(until: ["elif", "else", "endif"])
            branches.append((condition, conditionLine, body))
            switch ending {
            case "elif":
                conditionLine = line
                condition = try tuple(conditional: false)
            case "else":
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: try closedBody("endif"))
            default:
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func assignment() throws(ChatTemplateError) -> TemplateNode.Statement {
        let target = try assignTarget(namesOnly: false, endingAt: nil)
        if skip(operator: "=") {
            let value = try tuple()
            try expectBlockEnd()
            return .assign(target, value)
        }
        let filters = isOperator("|") ? try filterChain() : []
        try expectBlockEnd()
        return .assignBlock(target, filters: filters, body: TemplateFrame(nodes: try closedBody("endset")))
    }

    private mutating func macro() throws(ChatTemplateError) -> TemplateNode.Statement {
        let name = try expectName()
        try expect(operator: "(")
        var parameters: [String] = []
        var defaults: [String: TemplateExpression] = [:]
        while !skip(operator: ")") {
            if !parameters.isEmpty { try expect(operator: ",") }
            if skip(operator: ")") { break }
            let parameter = try expectName()
            if skip(operator: "=") {
                defaults[parameter] = try expression()
            } else if !defaults.isEmpty {
                throw .syntax(line: line, message: "non-default argument '\(parameter)' follows default argument")
            }
            parameters.append(parameter)
        }
        try expectBlockEnd()
        let enclosingLoops = loopDepth
        loopDepth = 0
        defer { loopDepth = enclosingLoops }
        return .macro(TemplateMacroSyntax(name: name, parameters: parameters, defaults: defaults,
                                          body: TemplateFrame(nodes: try closedBody("endmacro"))))
    }

    /// `name`, `ns.attr`, or a tuple of them (`a, b` or `(a, b)`), as jinja2's `parse_assign_target`.
    private mutating func assignTarget(namesOnly: Bool, endingAt ending: String?) throws(ChatTemplateError) -> TemplateTarget {
        var targets: [TemplateTarget] = []
        var sawComma = false
        while true {
            if !targets.isEmpty {
                guard skip(operator: ",") else { break }
                sawComma = true
            }
            if current.kind == .blockEnd || isOperator("=") || isOperator(")") || ending.map(isName) == true { break }
            targets.append(try singleTarget(namesOnly: namesOnly))
        }
        guard !targets.isEmpty else { throw unexpected("a name to assign to") }
        return targets.count == 1 && !sawComma ? targets[0] : .tuple(targets)
    }

    private mutating func singleTarget(namesOnly: Bool) throws(ChatTemplateError) -> TemplateTarget {
        if skip(operator: "(") {
            let inner = try assignTarget(namesOnly: namesOnly, endingAt: nil)
            try expect(operator: ")")
            return inner
        }
        let name = try expectName()
        if !namesOnly, skip(operator: ".") {
            return .attribute(.name(name), try expectName())
        }
        return .name(name)
    }

    // MARK: Expressions

    /// jinja2's `parse_tuple`: one expression, or several separated by commas.
    private mutating func tuple(conditional: Bool = true, endingAt ending: String? = nil,
                                explicitParentheses: Bool = false) throws(ChatTemplateError) -> TemplateExpression {
        var items: [TemplateExpression] = []
        var sawComma = false
        while true {
            if !items.isEmpty {
                guard skip(operator: ",") else { break }
                sawComma = true
            }
            if [.variableEnd, .blockEnd, .operator(")")].contains(current.kind) || ending.map(isName) == true { break }
            items.append(conditional ? try expression() : try or())
        }
        if items.isEmpty {
            guard explicitParentheses else { throw unexpected("an expression") }
            return .tuple([])
        }
        return items.count == 1 && !sawComma ? items[0] : .tuple(items)
    }

    private mutating func expression() throws(ChatTemplateError) -> TemplateExpression {
        try enterNesting()
        defer { nesting -= 1 }
        var value = try or()
        while skip(name: "if") {
            let test = try or()
            let otherwise = skip(name: "else") ? try expression() : nil
            value = .conditional(test: test, then: value, otherwise: otherwise)
        }
        return value
    }

    private mutating func or() throws(ChatTemplateError) -> TemplateExpression {
        var left = try and()
        while skip(name: "or") { left = .or(left, try and()) }
        return left
    }

    private mutating func and() throws(ChatTemplateError) -> TemplateExpression {
        var left = try not()
        while skip(name: "and") { left = .and(left, try not()) }
        return left
    }

    private mutating func not() throws(ChatTemplateError) -> TemplateExpression {
        try enterNesting()
        defer { nesting -= 1 }
        if skip(name: "not") { return .not(try not()) }
        return try compare()
    }

    private mutating func compare() throws(ChatTemplateError) -> TemplateExpression {
        let first = try math1()
        var operations: [(TemplateComparison, TemplateExpression)] = []
        while true {
            if case .operator(let op) = current.kind, let comparison = TemplateComparison(rawValue: op), comparison != .in {
                index += 1
                operations.append((comparison, try math1()))
            } else if skip(name: "in") {
                operations.append((.in, try math1()))
            } else if isName("not") && peekIsName("in") {
                index += 2
                operations.append((.notIn, try math1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? first : .compare(first, operations)
    }

    private mutating func math1() throws(ChatTemplateError) -> TemplateExpression {
        var left = try concatenation()
        while isOperator("+") || isOperator("-") {
            let op: TemplateBinaryOperator = next().kind == .operator("+") ? .add : .subtract
            left = .binary(op, left, try concatenation())
        }
        return left
    }

    private mutating func concatenation() throws(ChatTemplateError) -> TemplateExpression {
        var left = try math2()
        while skip(operator: "~") { left = .concatenate(left, try math2()) }
        return left
    }

    private mutating func math2() throws(ChatTemplateError) -> TemplateExpression {
        var left = try power()
        while case .operator(let op) = current.kind, ["*", "/", "//", "%"].contains(op) {
            index += 1
            left = .binary(TemplateBinaryOperator(rawValue: op)!, left, try power())
        }
        return left
    }

    private mutating func power() throws(ChatTemplateError) -> TemplateExpression {
        var left = try unary()
        while skip(operator: "**") { left = .binary(.power, left, try unary()) }
        return left
    }

    private mutating func unary(withFilters: Bool = true) throws(ChatTemplateError) -> TemplateExpression {
        try enterNesting()
        defer { nesting -= 1 }
        var node: TemplateExpression
        if skip(operator: "-") {
            node = .negate(try unary(withFilters: false))
        } else if skip(operator: "+") {
            node = .plus(try unary(withFilters: false))
        } else {
            node = try primary()
        }
        node = try postfix(node)
        return withFilters ? try filterExpression(node) : node
    }

    private mutating func primary() throws(ChatTemplateError) -> TemplateExpression {
        let token = next()
        switch token.kind {
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name)
            }
        case .string(var value):
            while case .string(let more) = current.kind {
                value += more
                index += 1
            }
            return .literal(.string(value))
        case .integer(let value): return .literal(.int(value))
        case .float(let value): return .literal(.float(value))
        case .operator("("):
            let inner = try tuple(explicitParentheses: true)
            try expect(operator: ")")
            return inner
        case .operator("["):
            var items: [TemplateExpression] = []
            while !skip(operator: "]") {
                if !items.isEmpty { try expect(operator: ",") }
                if skip(operator: "]") { break }
                items.append(try expression())
            }
            return .list(items)
        case .operator("{"):
            var entries: [(key: TemplateExpression, value: TemplateExpression)] = []
            while !skip(operator: "}") {
                if !entries.isEmpty { try expect(operator: ",") }
                if skip(operator: "}") { break }
                let key = try expression()
                try expect(operator: ":")
                entries.append((key, try expression()))
            }
            return .dict(entries)
        default:
            index -= 1
            throw unexpected("an expression")
        }
    }

    private mutating func postfix(_ base: TemplateExpression) throws(ChatTemplateError) -> TemplateExpression {
        var node = base
        while true {
            if skip(operator: ".") {
                switch next().kind {
                case .name(let name): node = .attribute(node, name)
                case .integer(let value): node = .item(node, .literal(.int(value)))
                default:
                    index -= 1
                    throw unexpected("an attribute name")
                }
            } else if skip(operator: "[") {
                node = try subscriptBody(node)
            } else if isOperator("(") {
                node = .call(node, try callArguments())
            } else {
                return node
            }
        }
    }

    /// The inside of `[...]`: an index, a slice `a:b:c`, or a tuple of indexes.
    private mutating func subscriptBody(_ base: TemplateExpression) throws(ChatTemplateError) -> TemplateExpression {
        func part(_ parser: inout TemplateParser) throws(ChatTemplateError) -> TemplateExpression? {
            parser.isOperator(":") || parser.isOperator("]") ? nil : try parser.expression()
        }
        let start = try part(&self)
        guard skip(operator: ":") else {
            try expect(operator: "]")
            guard let start else { throw unexpected("an index") }
            return .item(base, start)
        }
        let stop = try part(&self)
        var step: TemplateExpression?
        if skip(operator: ":") { step = try part(&self) }
        try expect(operator: "]")
        return .slice(base, start: start, stop: stop, step: step)
    }

    private mutating func callArguments() throws(ChatTemplateError) -> TemplateCallSyntax {
        try expect(operator: "(")
        var arguments = TemplateCallSyntax()
        while !skip(operator: ")") {
            if !arguments.positional.isEmpty || !arguments.keyword.isEmpty { try expect(operator: ",") }
            if skip(operator: ")") { break }
            if isOperator("*") || isOperator("**") { throw .unsupported(line: line, construct: "*args or **kwargs in a call") }
            if case .name(let name) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .operator("=") {
                index += 2
                arguments.keyword.append((name, try expression()))
            } else {
                guard arguments.keyword.isEmpty else {
                    throw .syntax(line: line, message: "a positional argument follows keyword arguments")
                }
                arguments.positional.append(try expression())
            }
        }
        return arguments
    }

    /// Filters (`|name(args)`), tests (`is [not] name args`) and calls after them, as jinja2's `parse_filter_expr`.
    private mutating func filterExpression(_ base: TemplateExpression) throws(ChatTemplateError) -> TemplateExpression {
        var node = base
        while true {
            if isOperator("|") {
                for filter in try filterChain() { node = .filter(node, filter) }
            } else if skip(name: "is") {
                let negated = skip(name: "not")
                var name = try expectName()
                while skip(operator: ".") { name += "." + (try expectName()) }
                var arguments = TemplateCallSyntax()
                if isOperator("(") {
                    arguments = try callArguments()
                } else if startsBareTestArgument {
                    arguments.positional = [try postfix(try primary())]
                }
                node = .test(node, name: name, arguments, negated: negated)
            } else if isOperator("(") {
                node = .call(node, try callArguments())
            } else {
                return node
            }
        }
    }

    /// `x is divisibleby 3`: a test takes one argument without parentheses when a primary follows.
    private var startsBareTestArgument: Bool {
        switch current.kind {
        case .name(let name): return !["else", "or", "and"].contains(name)
        case .string, .integer, .float, .operator("("), .operator("["), .operator("{"): return true
        default: return false
        }
    }

    /// `|a|b(x)`; a filter block's chain starts without the first bar (`{% filter upper %}`).
    private mutating func filterChain(startsInline: Bool = false) throws(ChatTemplateError) -> [TemplateFilterSyntax] {
        var filters: [TemplateFilterSyntax] = []
        var inline = startsInline
        while inline || skip(operator: "|") {
            inline = false
            var name = try expectName()
            while skip(operator: ".") { name += "." + (try expectName()) }
            let arguments = isOperator("(") ? try callArguments() : TemplateCallSyntax()
            filters.append(TemplateFilterSyntax(name: name, arguments: arguments))
        }
        return filters
    }
}
