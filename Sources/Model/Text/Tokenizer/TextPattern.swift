/// A tokenizer.json `pattern` (of `Split`, `Replace`): `{"String": …}`, matched literally,
/// or `{"Regex": …}`. The GPT-2, Llama 3 and Qwen2 patterns, which the claimed families ship
/// and which run on every byte of text, have hand-written scanners (`SplitPattern`, tested
/// to cut as tokenizers does, as the regex engine does); any other goes to `RegexMatcher`.
enum TextPattern: Equatable, Sendable {
    case string([Unicode.Scalar])
    case regex(SplitPattern)
    case otherRegex(RegexMatcher)

    init(json: JSONField) throws {
        if let literal = json.member("String") {
            self = .string(Array(try literal.string().unicodeScalars))
        } else if let regex = json.member("Regex") {
            let pattern = try regex.string()
            if let known = SplitPattern(rawValue: pattern) {
                self = .regex(known)
            } else {
                do { self = .otherRegex(try RegexMatcher(pattern: pattern)) } catch {
                    throw regex.unsupported("it needs \(error.reason), which Lethe's regex engine does not implement")
                }
            }
        } else {
            throw json.invalid("must be {\"String\": …} or {\"Regex\": …}")
        }
    }

    var json: HeaderJSONValue {
        switch self {
        case .string(let scalars): .fields(["String": .string(String(String.UnicodeScalarView(scalars)))])
        case .regex(let pattern): .fields(["Regex": .string(pattern.rawValue)])
        case .otherRegex(let matcher): .fields(["Regex": .string(matcher.pattern)])
        }
    }

    /// `text` cut into the pattern's matches and the stretches between them, in order, as
    /// tokenizers' `find_matches` does: leftmost matches that do not overlap; an empty text
    /// or an empty literal gives one stretch that is no match.
    func matches(in text: ArraySlice<Unicode.Scalar>) -> [(range: Range<Int>, isMatch: Bool)] {
        switch self {
        case .regex(let pattern):
            // Every position starts a match of these patterns, so the matches tile the text.
            var pieces: [Range<Int>] = []
            pattern.split(text, into: &pieces)
            return pieces.isEmpty ? [(text.indices, false)] : pieces.map { ($0, true) }
        case .otherRegex(let matcher):
            guard !text.isEmpty else { return [(text.indices, false)] }
            var result: [(range: Range<Int>, isMatch: Bool)] = []
            var stretchStart = text.startIndex
            for match in matcher.matches(in: text) {
                if stretchStart < match.lowerBound { result.append((stretchStart..<match.lowerBound, false)) }
                result.append((match, true))
                stretchStart = match.upperBound
            }
            if stretchStart < text.endIndex { result.append((stretchStart..<text.endIndex, false)) }
            return result
        case .string(let literal):
            guard !literal.isEmpty, !text.isEmpty else { return [(text.indices, false)] }
            var result: [(range: Range<Int>, isMatch: Bool)] = []
            var stretchStart = text.startIndex, position = text.startIndex
            while position + literal.count <= text.endIndex {
                guard text[position] == literal[0], text[position..<(position + literal.count)].elementsEqual(literal) else {
                    position += 1
                    continue
                }
                if stretchStart < position { result.append((stretchStart..<position, false)) }
                result.append((position..<(position + literal.count), true))
                position += literal.count
                stretchStart = position
            }
            if stretchStart < text.endIndex { result.append((stretchStart..<text.endIndex, false)) }
            return result
        }
    }
}
