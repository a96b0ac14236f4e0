/// `Split`: cuts each piece at the matches of `pattern`; `behavior` says what becomes of a
/// match, `invert` swaps matches and the stretches between them.
struct SplitPreTokenizer: Equatable, Sendable {
    enum Behavior: String, Sendable {
        /// Matches are dropped.
        case removed = "Removed"
        /// Matches and stretches are each a piece.
        case isolated = "Isolated"
        /// A match joins the stretch before it.
        case mergedWithPrevious = "MergedWithPrevious"
        /// A match joins the stretch after it.
        case mergedWithNext = "MergedWithNext"
        /// Adjacent matches form one piece.
        case contiguous = "Contiguous"
    }

    var pattern: TextPattern
    var behavior: Behavior
    var inverts: Bool

    init(pattern: TextPattern, behavior: Behavior, inverts: Bool = false) {
        self.pattern = pattern
        self.behavior = behavior
        self.inverts = inverts
    }

    init(json: JSONField) throws {
        pattern = try TextPattern(json: try json.required("pattern"))
        let behaviorField = try json.required("behavior")
        guard let behavior = Behavior(rawValue: try behaviorField.string()) else {
            throw behaviorField.invalid("must be Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous")
        }
        self.behavior = behavior
        inverts = try json.flag("invert", default: false)
    }

    var json: HeaderJSONValue {
        .fields(["type": .string("Split"), "pattern": pattern.json, "behavior": .string(behavior.rawValue), "invert": .bool(inverts)])
    }

    /// What tokenizers' `NormalizedString::split` makes of `text`, empty pieces left out.
    func split(_ text: ArraySlice<Unicode.Scalar>, into pieces: inout [Range<Int>]) {
        // The split patterns tile the text with matches: Isolated keeps them as they are.
        if behavior == .isolated, case .regex(let regex) = pattern {
            regex.split(text, into: &pieces)
            return
        }
        var matches = pattern.matches(in: text)
        if inverts { matches = matches.map { ($0.range, !$0.isMatch) } }
        var result: [Range<Int>] = []
        var previousIsMatch = false
        switch behavior {
        case .isolated:
            result = matches.map(\.range)
        case .removed:
            result = matches.filter { !$0.isMatch }.map(\.range)
        case .contiguous:
            for (range, isMatch) in matches {
                if isMatch == previousIsMatch, let last = result.last {
                    result[result.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    result.append(range)
                }
                previousIsMatch = isMatch
            }
        case .mergedWithPrevious:
            for (range, isMatch) in matches {
                if isMatch, !previousIsMatch, let last = result.last {
                    result[result.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    result.append(range)
                }
                previousIsMatch = isMatch
            }
        case .mergedWithNext:
            for (range, isMatch) in matches.reversed() {
                if isMatch, !previousIsMatch, let last = result.last {
                    result[result.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    result.append(range)
                }
                previousIsMatch = isMatch
            }
            result.reverse()
        }
        pieces += result.lazy.filter { !$0.isEmpty }
    }
}
