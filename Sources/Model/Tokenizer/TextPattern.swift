/// A tokenizer.json `pattern` (of `Split`, `Replace`): `{"String": …}`, matched literally,
/// or `{"Regex": …}`, one of the split patterns Lethe implements (`SplitPattern`).
enum TextPattern: Equatable, Sendable {
    case string([Unicode.Scalar])
    case regex(SplitPattern)

    init(json: JSONField) throws {
        if let literal = json.member("String") {
            self = .string(Array(try literal.string().unicodeScalars))
        } else if let regex = json.member("Regex") {
            guard let known = SplitPattern(rawValue: try regex.string()) else {
                throw regex.unsupported("Lethe implements the GPT-2, Llama 3 and Qwen2 patterns (\(SplitPattern.allCases.count) hand-written scanners), not a general regex engine")
            }
            self = .regex(known)
        } else {
            throw json.invalid("must be {\"String\": …} or {\"Regex\": …}")
        }
    }

    var json: HeaderJSONValue {
        switch self {
        case .string(let scalars): .fields(["String": .string(String(String.UnicodeScalarView(scalars)))])
        case .regex(let pattern): .fields(["Regex": .string(pattern.rawValue)])
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
