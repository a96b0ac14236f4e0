/// Parses a split pattern into a `RegexNode` (the syntax `RegexSyntax.swift` lists), or
/// throws a `RegexSyntaxError` naming the construct Lethe does not implement.
struct RegexParser {
    /// Deeper nesting is refused: parsing and matching recurse per level.
    static let maximumGroupDepth = 64

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var groupDepth = 0

    static func parse(_ pattern: String) throws(RegexSyntaxError) -> RegexNode {
        var parser = RegexParser(scalars: Array(pattern.unicodeScalars))
        let node = try parser.alternation(ignoresCase: false)
        guard parser.position == parser.scalars.count else { throw RegexSyntaxError(reason: "an unbalanced \")\"") }
        return node
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func take(_ scalar: Unicode.Scalar) -> Bool {
        guard current == scalar else { return false }
        position += 1
        return true
    }

    private mutating func alternation(ignoresCase: Bool) throws(RegexSyntaxError) -> RegexNode {
        var ignoresCase = ignoresCase
        var branches = [try sequence(ignoresCase: &ignoresCase)]
        while take("|") { branches.append(try sequence(ignoresCase: &ignoresCase)) }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    /// `ignoresCase` may be switched by `(?i)` for the rest of the group.
    private mutating func sequence(ignoresCase: inout Bool) throws(RegexSyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while let scalar = current, scalar != "|", scalar != ")" {
            if scalar == "(", position + 2 < scalars.count, scalars[position + 1] == "?",
               let end = flagGroupEnd(), scalars[end] == ")" {
                // `(?i)` / `(?-i)`: flags for the rest of this group.
                ignoresCase = scalars[position + 2] != "-"
                position = end + 1
                continue
            }
            let atom = try atom(ignoresCase: ignoresCase)
            items.append(try quantified(atom))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    /// The index of `)` or `:` closing `(?i` / `(?-i`, if the group at `position` is a flag
    /// group (or, with `before`, the flags start there).
    private func flagGroupEnd(before start: Int? = nil) -> Int? {
        var index = start ?? position + 2
        if index < scalars.count, scalars[index] == "-" { index += 1 }
        guard index < scalars.count, scalars[index] == "i" else { return nil }
        index += 1
        guard index < scalars.count, scalars[index] == ")" || scalars[index] == ":" else { return nil }
        return index
    }

    private mutating func quantified(_ atom: RegexNode) throws(RegexSyntaxError) -> RegexNode {
        var node = atom
        while let scalar = current {
            let bounds: (Int, Int?)
            switch scalar {
            case "*": bounds = (0, nil); position += 1
            case "+": bounds = (1, nil); position += 1
            case "?": bounds = (0, 1); position += 1
            case "{":
                guard let counted = countedBounds() else { return node }
                bounds = counted
            default:
                return node
            }
            if case .anchor = node { throw RegexSyntaxError(reason: "a quantified anchor") }
            let mode: RegexNode.RepetitionMode = take("?") ? .lazy : take("+") ? .possessive : .greedy
            if let maximum = bounds.1, maximum < bounds.0 { throw RegexSyntaxError(reason: "a {m,n} with n < m") }
            node = .repetition(node, minimum: bounds.0, maximum: bounds.1, mode: mode)
        }
        return node
    }

    /// `{m}`, `{m,}`, `{m,n}` or `{,n}`; nil (and `{` is a literal) for anything else.
    private mutating func countedBounds() -> (Int, Int?)? {
        var index = position + 1
        func number() -> Int? {
            var digits = ""
            while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                digits.unicodeScalars.append(scalars[index])
                index += 1
            }
            return Int(digits)
        }
        let lower = number()
        var upper = lower
        if index < scalars.count, scalars[index] == "," {
            index += 1
            upper = number()
            if lower == nil, upper == nil { return nil }
        } else if lower == nil {
            return nil
        }
        guard index < scalars.count, scalars[index] == "}" else { return nil }
        position = index + 1
        return (lower ?? 0, upper)
    }

    private mutating func atom(ignoresCase: Bool) throws(RegexSyntaxError) -> RegexNode {
        guard let scalar = current else { throw RegexSyntaxError(reason: "a pattern that ends early") }
        position += 1
        switch scalar {
        case "(": return try group(ignoresCase: ignoresCase)
        case "[": return .scalar(try characterClass(ignoresCase: ignoresCase))
        case ".": return .scalar(ScalarSet(items: [.anyButNewline]))
        case "^": return .anchor(.lineStart)
        case "$": return .anchor(.lineEnd)
        case "\\":
            switch current {
            case "A": position += 1; return .anchor(.textStart)
            case "z": position += 1; return .anchor(.textEnd)
            case "Z": position += 1; return .anchor(.textEndBeforeFinalNewline)
            case "b": position += 1; return .anchor(.wordBoundary)
            case "B": position += 1; return .anchor(.notWordBoundary)
            default: return .scalar(ScalarSet(items: [try escape(inClass: false)], ignoresCase: ignoresCase))
            }
        case "*", "+", "?": throw RegexSyntaxError(reason: "a quantifier with nothing before it")
        default: return .scalar(ScalarSet(items: [.scalar(scalar)], ignoresCase: ignoresCase))
        }
    }

    /// After `(`.
    private mutating func group(ignoresCase: Bool) throws(RegexSyntaxError) -> RegexNode {
        groupDepth += 1
        defer { groupDepth -= 1 }
        guard groupDepth <= Self.maximumGroupDepth else {
            throw RegexSyntaxError(reason: "groups nested more than \(Self.maximumGroupDepth) deep")
        }
        var ignoresCase = ignoresCase
        var wrap: (RegexNode) -> RegexNode = { $0 }
        if take("?") {
            switch current {
            case ":": position += 1
            case "=": position += 1; wrap = { .lookahead($0, negated: false) }
            case "!": position += 1; wrap = { .lookahead($0, negated: true) }
            case ">": position += 1; wrap = { .atomic($0) }
            case "i", "-":
                // `(?i:` or `(?-i:`; `(?i)` was taken by `sequence`.
                guard let end = flagGroupEnd(before: position), scalars[end] == ":" else {
                    throw RegexSyntaxError(reason: "group flags other than i")
                }
                ignoresCase = scalars[position] == "i"
                position = end + 1
            case "<":
                position += 1
                if current == "=" || current == "!" { throw RegexSyntaxError(reason: "lookbehind (?<= or (?<!") }
                // A named group: the name does not matter without backreferences.
                while let scalar = current, scalar != ">" { position += 1 }
                guard take(">") else { throw RegexSyntaxError(reason: "an unterminated group name") }
            default:
                throw RegexSyntaxError(reason: "the group (?\(current.map { String($0) } ?? ""))")
            }
        }
        let inner = try alternation(ignoresCase: ignoresCase)
        guard take(")") else { throw RegexSyntaxError(reason: "an unterminated group") }
        return wrap(inner)
    }

    /// After `[`.
    private mutating func characterClass(ignoresCase: Bool) throws(RegexSyntaxError) -> ScalarSet {
        var set = ScalarSet(items: [], negated: take("^"), ignoresCase: ignoresCase)
        var first = true
        while true {
            guard let scalar = current else { throw RegexSyntaxError(reason: "an unterminated [ class") }
            if scalar == "]", !first {
                position += 1
                return set
            }
            first = false
            if scalar == "[" { throw RegexSyntaxError(reason: "a nested class [[…]]") }
            if scalar == "&", position + 1 < scalars.count, scalars[position + 1] == "&" {
                throw RegexSyntaxError(reason: "class intersection &&")
            }
            position += 1
            let item = scalar == "\\" ? try escape(inClass: true) : .scalar(scalar)
            // A range `a-z`; a `-` before `]` is a literal.
            if case .scalar(let lower) = item, current == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                position += 1
                guard let upperScalar = current else { throw RegexSyntaxError(reason: "an unterminated [ class") }
                position += 1
                let upperItem = upperScalar == "\\" ? try escape(inClass: true) : .scalar(upperScalar)
                guard case .scalar(let upper) = upperItem, lower <= upper else { throw RegexSyntaxError(reason: "a bad range in a class") }
                set.items.append(.range(lower, upper))
            } else {
                set.items.append(item)
            }
        }
    }

    /// After `\`.
    private mutating func escape(inClass: Bool) throws(RegexSyntaxError) -> ScalarSet.Item {
        guard let scalar = current else { throw RegexSyntaxError(reason: "a pattern ending in \\") }
        position += 1
        switch scalar {
        case "s": return .whitespace(negated: false)
        case "S": return .whitespace(negated: true)
        case "d": return .digit(negated: false)
        case "D": return .digit(negated: true)
        case "w": return .word(negated: false)
        case "W": return .word(negated: true)
        case "p", "P": return try property(negated: scalar == "P")
        case "t": return .scalar("\t")
        case "n": return .scalar("\n")
        case "r": return .scalar("\r")
        case "f": return .scalar("\u{0C}")
        case "v": return .scalar("\u{0B}")
        case "a": return .scalar("\u{07}")
        case "e": return .scalar("\u{1B}")
        case "x": return .scalar(try hexScalar(braced: take("{"), digits: 2))
        case "u": return .scalar(try hexScalar(braced: false, digits: 4))
        case "0"..."9", "k", "g":
            throw RegexSyntaxError(reason: "a backreference or octal escape \\\(scalar)")
        default:
            guard !scalar.properties.isAlphabetic else { throw RegexSyntaxError(reason: "the escape \\\(scalar)") }
            return .scalar(scalar)
        }
    }

    /// After `\p` or `\P`: `{L}`, `{^L}`, `L`.
    private mutating func property(negated: Bool) throws(RegexSyntaxError) -> ScalarSet.Item {
        var name = ""
        var negated = negated
        if take("{") {
            if take("^") { negated.toggle() }
            while let scalar = current, scalar != "}" {
                name.unicodeScalars.append(scalar)
                position += 1
            }
            guard take("}") else { throw RegexSyntaxError(reason: "an unterminated \\p{") }
        } else if let scalar = current {
            name = String(scalar)
            position += 1
        }
        guard let group = GeneralCategoryGroup(name: name) else {
            throw RegexSyntaxError(reason: "the property \\p{\(name)} (Lethe implements general categories, not scripts or other properties)")
        }
        return .category(group, negated: negated)
    }

    private mutating func hexScalar(braced: Bool, digits: Int) throws(RegexSyntaxError) -> Unicode.Scalar {
        var hex = ""
        while let scalar = current, scalar.properties.isASCIIHexDigit, braced || hex.unicodeScalars.count < digits {
            hex.unicodeScalars.append(scalar)
            position += 1
        }
        if braced, !take("}") { throw RegexSyntaxError(reason: "an unterminated \\x{") }
        guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
            throw RegexSyntaxError(reason: "a bad hexadecimal escape")
        }
        return scalar
    }
}
