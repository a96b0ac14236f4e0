/// A token of tokenizer.json's `added_tokens`: found in the text before pre-tokenization
/// and never split by BPE.
struct AddedToken: Equatable, Sendable {
    var id: Int
    var content: String
    var isSpecial: Bool
    /// Matches only where no word character (Rust regex `\w`) touches it on either side.
    var isSingleWord = false
    /// Takes the whitespace before (`lstrip`) or after (`rstrip`) it, which then disappears.
    var stripsLeft = false
    var stripsRight = false
    /// Matched in the normalized text, by its normalized content, rather than in the raw text.
    var isNormalized: Bool

    var json: HeaderJSONValue {
        .fields([
            "id": .integer(id), "content": .string(content), "single_word": .bool(isSingleWord), "lstrip": .bool(stripsLeft),
            "rstrip": .bool(stripsRight), "normalized": .bool(isNormalized), "special": .bool(isSpecial),
        ])
    }
}

/// Finds added tokens in text the way tokenizers' AddedVocabulary does: the leftmost match,
/// the longest of those starting there, then the search goes on after it. A trie over the
/// tokens' UTF-8 bytes makes each text position cost at most the longest token's length.
struct AddedTokenMatcher: Sendable {
    enum Segment {
        case text(Range<Int>)
        case token(id: Int)
    }

    private struct Node {
        var children: [UInt8: Int32] = [:]
        /// Index into `tokens` of the token ending here, or -1.
        var token: Int32 = -1
    }

    private let tokens: [AddedToken]
    private var nodes = [Node()]
    /// The root's children by first byte: most text positions start no token, and an array
    /// rejects them faster than a dictionary.
    private var rootChildren = [Int32](repeating: -1, count: 256)

    /// `patterns[i]` is what `tokens[i]` matches: its content, or its normalized content.
    init(tokens: [AddedToken], patterns: [String]) {
        self.tokens = tokens
        for (index, pattern) in patterns.enumerated() {
            var node = 0
            for byte in pattern.utf8 {
                if let child = nodes[node].children[byte] {
                    node = Int(child)
                } else {
                    nodes.append(Node())
                    nodes[node].children[byte] = Int32(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
            nodes[node].token = Int32(index)
        }
        for (byte, child) in nodes[0].children { rootChildren[Int(byte)] = child }
    }

    /// `text` cut into stretches of plain text and the added tokens between them.
    func segments(of text: [UInt8]) -> [Segment] {
        guard nodes.count > 1 else { return text.isEmpty ? [] : [.text(text.indices)] }
        var segments: [Segment] = []
        var segmentStart = 0, position = 0
        while position < text.count {
            guard let (index, matchEnd) = longestMatch(in: text, at: position) else {
                position += 1
                continue
            }
            let token = tokens[index]
            var start = position, end = matchEnd
            position = matchEnd
            if token.isSingleWord, text.scalar(before: start).map(isWordCharacter) == true
                || text.scalar(at: end).map(isWordCharacter) == true {
                continue
            }
            if token.stripsLeft {
                while let scalar = text.scalar(before: start), scalar.properties.isWhitespace { start -= UTF8.width(scalar) }
                start = max(start, segmentStart)
            }
            if token.stripsRight {
                while let scalar = text.scalar(at: end), scalar.properties.isWhitespace { end += UTF8.width(scalar) }
            }
            if segmentStart < start { segments.append(.text(segmentStart..<start)) }
            segments.append(.token(id: token.id))
            segmentStart = end
        }
        if segmentStart < text.count { segments.append(.text(segmentStart..<text.count)) }
        return segments
    }

    private func longestMatch(in text: [UInt8], at start: Int) -> (token: Int, end: Int)? {
        let first = rootChildren[Int(text[start])]
        guard first >= 0 else { return nil }
        var node = Int(first), best: (token: Int, end: Int)?
        if nodes[node].token >= 0 { best = (Int(nodes[node].token), start + 1) }
        var position = start + 1
        while position < text.count, let child = nodes[node].children[text[position]] {
            node = Int(child)
            position += 1
            if nodes[node].token >= 0 { best = (Int(nodes[node].token), position) }
        }
        return best
    }

    /// Rust regex's Unicode `\w`: alphabetic, a mark, a decimal digit, a connector or a joiner.
    private func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return properties.isAlphabetic || properties.isJoinControl
        }
    }
}

private extension [UInt8] {
    /// The scalar whose UTF-8 starts at `index` (valid UTF-8, `index` on a boundary), or nil at the end.
    func scalar(at index: Int) -> Unicode.Scalar? {
        guard index < count else { return nil }
        var iterator = self[index...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        return scalar
    }

    /// The scalar that ends just before `index`, or nil at the start.
    func scalar(before index: Int) -> Unicode.Scalar? {
        guard index > 0 else { return nil }
        var start = index - 1
        // UTF-8 continuation bytes are 10xxxxxx.
        while start > 0, self[start] & 0xC0 == 0x80 { start -= 1 }
        return scalar(at: start)
    }
}
