/// Finds the matches of a parsed split pattern in text, as Oniguruma does: at each start
/// position, from left to right, the first match in backtracking order (alternatives in
/// order, greedy quantifiers longest first, lazy shortest first, possessive and atomic
/// parts never given back). A quantifier over a single-scalar part (`\p{L}+`, `[^\s]*`,
/// `((?=\p{L})[^a-z])*`) or a fixed-width one (`(?:\d{3})*`) is a loop, not a recursion,
/// so long runs cost no stack; other quantified groups recurse once per repetition, which is
/// why a pattern repeating such a group without a small bound is refused.
struct RegexMatcher: Equatable, Sendable {
    let pattern: String
    private let root: RegexNode

    init(pattern: String) throws(RegexSyntaxError) {
        self.pattern = pattern
        root = Self.compiled(try RegexParser.parse(pattern))
        try Self.checkRecursionIsBounded(root)
    }

    /// The most repetitions of a variable-width group the engine recurses through.
    static let maximumRecursiveRepetitions = 1_000

    /// Refuses a variable-width group under an unbounded (or large) quantifier, such as
    /// `(?:\p{L}\p{M}*)+`: matching recurses once per repetition, so a long text could
    /// exhaust the stack. Tokenizer patterns quantify single scalars, fixed-width groups or
    /// small counts, which loop or stay shallow.
    private static func checkRecursionIsBounded(_ node: RegexNode) throws(RegexSyntaxError) {
        switch node {
        case .repetition(let body, _, let maximum, _):
            switch body {
            case .scalarTest, .fixedRun: break
            default:
                guard let maximum, maximum <= maximumRecursiveRepetitions else {
                    throw RegexSyntaxError(reason: "a repeated group of variable width without a bound of at most \(maximumRecursiveRepetitions) repetitions")
                }
            }
            try checkRecursionIsBounded(body)
        case .sequence(let nodes), .alternation(let nodes):
            for node in nodes { try checkRecursionIsBounded(node) }
        case .lookahead(let body, _), .atomic(let body):
            try checkRecursionIsBounded(body)
        case .scalar, .anchor, .scalarTest, .fixedRun:
            break
        }
    }

    /// `node` with each single-scalar part (a class, or lookaheads then a class) turned into
    /// one `scalarTest`, so that quantifiers over them loop.
    private static func compiled(_ node: RegexNode) -> RegexNode {
        if let predicate = singleScalarPredicate(node) { return .scalarTest(predicate) }
        switch node {
        case .sequence(let nodes): return .sequence(nodes.map(compiled))
        case .alternation(let branches): return .alternation(branches.map(compiled))
        case .repetition(let body, let minimum, let maximum, let mode):
            var body = compiled(body)
            if case .scalarTest = body {} else if let run = fixedRun(body), !run.isEmpty { body = .fixedRun(run) }
            return .repetition(body, minimum: minimum, maximum: maximum, mode: mode)
        case .lookahead(let body, let negated): return .lookahead(compiled(body), negated: negated)
        case .atomic(let body): return .atomic(compiled(body))
        case .scalar, .anchor, .scalarTest, .fixedRun: return node
        }
    }

    /// The tests of a compiled part that always consumes the same number of scalars, one
    /// test per scalar, or nil.
    private static func fixedRun(_ node: RegexNode) -> [ScalarPredicate]? {
        switch node {
        case .scalar(let set): return [.set(set)]
        case .scalarTest(let predicate): return [predicate]
        case .fixedRun(let run): return run
        case .sequence(let nodes):
            var run: [ScalarPredicate] = []
            for node in nodes {
                guard let part = fixedRun(node) else { return nil }
                run += part
            }
            return run
        case .repetition(let body, let minimum, let maximum, _) where maximum == minimum:
            return fixedRun(body).map { Array(repeating: $0, count: minimum).flatMap { $0 } }
        default: return nil
        }
    }

    private static func singleScalarPredicate(_ node: RegexNode) -> ScalarPredicate? {
        switch node {
        case .scalar(let set):
            return .set(set)
        case .scalarTest(let predicate):
            return predicate
        case .alternation(let branches):
            let predicates = branches.compactMap(singleScalarPredicate)
            return predicates.count == branches.count ? .any(predicates) : nil
        case .sequence(let nodes):
            // Lookaheads on single scalars, then exactly one consuming part, which ends it.
            guard let last = nodes.last, let consumed = singleScalarPredicate(last) else { return nil }
            var predicates: [ScalarPredicate] = []
            for node in nodes.dropLast() {
                guard case .lookahead(let body, let negated) = node, let test = singleScalarPredicate(body) else { return nil }
                predicates.append(negated ? .not(test) : test)
            }
            return predicates.isEmpty ? consumed : .all(predicates + [consumed])
        default:
            return nil
        }
    }

    /// The matches in `text`, in order, as `onig`'s `find_iter` gives them: after a match the
    /// search goes on at its end; an empty match right where the previous one ended is
    /// skipped by one scalar.
    func matches(in text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = text.startIndex
        var previousEnd: Int?
        while start <= text.endIndex {
            guard let match = firstMatch(in: text, from: start) else { break }
            if match.isEmpty, match.lowerBound == previousEnd {
                start = match.lowerBound + 1
                continue
            }
            result.append(match)
            previousEnd = match.upperBound
            start = match.upperBound
        }
        return result
    }

    private func firstMatch(in text: ArraySlice<Unicode.Scalar>, from start: Int) -> Range<Int>? {
        let state = MatchState(text: text)
        for position in start...text.endIndex {
            var end: Int?
            if state.match(root, at: position, { end = $0; return true }), let end { return position..<end }
        }
        return nil
    }
}

private struct MatchState {
    let text: ArraySlice<Unicode.Scalar>

    func match(_ node: RegexNode, at position: Int, _ next: (Int) -> Bool) -> Bool {
        switch node {
        case .scalar(let set):
            return position < text.endIndex && set.contains(text[position]) && next(position + 1)
        case .scalarTest(let predicate):
            return position < text.endIndex && predicate.contains(text[position]) && next(position + 1)
        case .fixedRun(let run):
            return runMatches(run, at: position) && next(position + run.count)
        case .sequence(let nodes):
            return matchSequence(nodes[...], at: position, next)
        case .alternation(let branches):
            return branches.contains { match($0, at: position, next) }
        case .repetition(let body, let minimum, let maximum, let mode):
            if case .scalarTest(let predicate) = body {
                return repeatRun([predicate], at: position, minimum: minimum, maximum: maximum, mode: mode, next)
            }
            if case .fixedRun(let run) = body {
                return repeatRun(run, at: position, minimum: minimum, maximum: maximum, mode: mode, next)
            }
            return repeatNode(body, at: position, count: 0, minimum: minimum, maximum: maximum, mode: mode, next)
        case .lookahead(let body, let negated):
            return match(body, at: position, { _ in true }) != negated && next(position)
        case .atomic(let body):
            var end: Int?
            guard match(body, at: position, { end = $0; return true }), let end else { return false }
            return next(end)
        case .anchor(let anchor):
            return holds(anchor, at: position) && next(position)
        }
    }

    private func matchSequence(_ nodes: ArraySlice<RegexNode>, at position: Int, _ next: (Int) -> Bool) -> Bool {
        guard let first = nodes.first else { return next(position) }
        return match(first, at: position) { matchSequence(nodes.dropFirst(), at: $0, next) }
    }

    private func runMatches(_ run: [ScalarPredicate], at position: Int) -> Bool {
        guard position + run.count <= text.endIndex else { return false }
        return run.indices.allSatisfy { run[$0].contains(text[position + $0]) }
    }

    /// A quantified fixed-width part (one scalar, or `run.count`): the most repetitions are
    /// counted once, then the ends are tried in the mode's order.
    private func repeatRun(
        _ run: [ScalarPredicate], at position: Int, minimum: Int, maximum: Int?, mode: RegexNode.RepetitionMode,
        _ next: (Int) -> Bool
    ) -> Bool {
        let width = run.count
        var count = 0
        while maximum.map({ count < $0 }) ?? true, runMatches(run, at: position + count * width) { count += 1 }
        guard count >= minimum else { return false }
        switch mode {
        case .possessive: return next(position + count * width)
        case .greedy: return stride(from: count, through: minimum, by: -1).contains { next(position + $0 * width) }
        case .lazy: return (minimum...count).contains { next(position + $0 * width) }
        }
    }

    private func repeatNode(
        _ body: RegexNode, at position: Int, count: Int, minimum: Int, maximum: Int?, mode: RegexNode.RepetitionMode,
        _ next: (Int) -> Bool
    ) -> Bool {
        let canRepeat = maximum.map { count < $0 } ?? true
        // One more repetition, which must consume something (else the loop would not end).
        func more() -> Bool {
            canRepeat && match(body, at: position) { end in
                end != position && repeatNode(body, at: end, count: count + 1, minimum: minimum, maximum: maximum, mode: mode, next)
            }
        }
        switch mode {
        case .greedy: return more() || (count >= minimum && next(position))
        case .lazy: return (count >= minimum && next(position)) || more()
        case .possessive:
            var end = position, repetitions = 0
            while maximum.map({ repetitions < $0 }) ?? true {
                var found: Int?
                guard match(body, at: end, { found = $0; return true }), let found, found != end else { break }
                end = found
                repetitions += 1
            }
            return repetitions >= minimum && next(end)
        }
    }

    private func holds(_ anchor: RegexNode.Anchor, at position: Int) -> Bool {
        let atStart = position == text.startIndex, atEnd = position == text.endIndex
        switch anchor {
        case .textStart: return atStart
        case .textEnd: return atEnd
        case .textEndBeforeFinalNewline: return atEnd || (position == text.endIndex - 1 && text[position] == "\n")
        case .lineStart: return atStart || text[position - 1] == "\n"
        case .lineEnd: return atEnd || text[position] == "\n"
        case .wordBoundary, .notWordBoundary:
            let before = !atStart && RegexWordCharacter.contains(text[position - 1])
            let after = !atEnd && RegexWordCharacter.contains(text[position])
            return (before != after) == (anchor == .wordBoundary)
        }
    }
}
