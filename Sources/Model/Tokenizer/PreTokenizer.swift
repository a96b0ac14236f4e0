/// The pre-tokenizer pipeline of a byte-level BPE tokenizer: `Split` and `Digits` steps in
/// order, then `ByteLevel`, which may give each piece a leading space, may split it again
/// with the GPT-2 pattern, and hands each pre-token's bytes to BPE.
struct PreTokenizer: Equatable, Sendable {
    enum Step: Equatable, Sendable {
        /// `Split` with behaviour `Isolated`: each match is a piece.
        case split(SplitPattern)
        /// `Digits`: runs of numbers (`\p{N}`, Rust's `char::is_numeric`) apart from the rest,
        /// or with `individually` each number scalar alone.
        case digits(individually: Bool)
    }

    var steps: [Step]
    /// ByteLevel's `add_prefix_space`: a piece that does not start with a space gets one.
    var addsPrefixSpace: Bool
    /// ByteLevel's `use_regex`: each piece is split with `SplitPattern.gpt2`.
    var splitsWithGPT2Pattern: Bool

    /// GPT-2's setup, which the trainer uses: ByteLevel alone, splitting, no prefix space.
    static let gpt2 = PreTokenizer(steps: [], addsPrefixSpace: false, splitsWithGPT2Pattern: true)

    /// Calls `body` with the UTF-8 bytes of each pre-token of `scalars`, in order.
    func forEachPreToken(of scalars: [Unicode.Scalar], _ body: ([UInt8]) -> Void) {
        var pieces = [scalars.indices]
        for step in steps {
            var refined: [Range<Int>] = []
            for piece in pieces { step.split(scalars[piece], into: &refined) }
            pieces = refined
        }
        var matches: [Range<Int>] = []
        var bytes: [UInt8] = []
        for piece in pieces where !piece.isEmpty {
            var text = scalars[piece]
            if addsPrefixSpace, text.first != " " { text = [" "] + text }
            matches.removeAll(keepingCapacity: true)
            if splitsWithGPT2Pattern { SplitPattern.gpt2.split(text, into: &matches) } else { matches.append(text.indices) }
            for match in matches {
                bytes.removeAll(keepingCapacity: true)
                for scalar in text[match] { UTF8.encode(scalar) { bytes.append($0) } }
                body(bytes)
            }
        }
    }
}

extension PreTokenizer.Step {
    func split(_ text: ArraySlice<Unicode.Scalar>, into pieces: inout [Range<Int>]) {
        switch self {
        case .split(let pattern):
            pattern.split(text, into: &pieces)
        case .digits(let individually):
            var start = text.startIndex
            while start < text.endIndex {
                let isNumber = ScalarClass(text[start]) == .number
                var end = start + 1
                if !(isNumber && individually) {
                    while end < text.endIndex, (ScalarClass(text[end]) == .number) == isNumber { end += 1 }
                }
                pieces.append(start..<end)
                start = end
            }
        }
    }
}
