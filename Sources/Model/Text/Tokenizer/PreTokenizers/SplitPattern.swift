/// The regular expressions a `Split` pre-tokenizer may use: the ones byte-level BPE models
/// ship with, each implemented by a hand-written scanner with exactly the matches the regex
/// has under Oniguruma (which tokenizers runs). Any other pattern is rejected on loading.
enum SplitPattern: String, CaseIterable, Sendable {
    /// GPT-2's, also the one `ByteLevel` applies itself when `use_regex` is true.
    case gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    /// Llama 3's (tiktoken's cl100k): contractions in any case, numbers in groups of up to three.
    case llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Qwen2's: Llama 3's with every number scalar on its own.
    case qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Appends the pattern's successive matches in `text` to `pieces`. Every position starts
    /// a match (each scalar is a letter, number, whitespace or other, and some alternative
    /// takes each), so the matches tile the text, as `Split` with behaviour `Isolated` needs.
    func split(_ text: ArraySlice<Unicode.Scalar>, into pieces: inout [Range<Int>]) {
        var start = text.startIndex
        while start < text.endIndex {
            let end = switch self {
            case .gpt2: Self.gpt2MatchEnd(text, from: start)
            case .llama3: Self.llama3MatchEnd(text, from: start, maximumDigits: 3)
            case .qwen2: Self.llama3MatchEnd(text, from: start, maximumDigits: 1)
            }
            pieces.append(start..<end)
            start = end
        }
    }

    private static func gpt2MatchEnd(_ text: ArraySlice<Unicode.Scalar>, from start: Int) -> Int {
        if let end = contractionEnd(text, from: start, ignoringCase: false) { return end }
        // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
        let next = start + 1
        let body = text[start] == " " && next < text.endIndex && ScalarClass(text[next]) != .whitespace ? next : start
        let bodyClass = ScalarClass(text[body])
        if bodyClass != .whitespace { return runEnd(text, from: body) { ScalarClass($0) == bodyClass } }
        return whitespaceEnd(text, from: start, runEnd: runEnd(text, from: start) { ScalarClass($0) == .whitespace })
    }

    private static func llama3MatchEnd(_ text: ArraySlice<Unicode.Scalar>, from start: Int, maximumDigits: Int) -> Int {
        if let end = contractionEnd(text, from: start, ignoringCase: true) { return end }
        let first = text[start], firstClass = ScalarClass(first), next = start + 1
        // `[^\r\n\p{L}\p{N}]?\p{L}+`: letters, possibly after one scalar that is neither a line
        // break, a letter nor a number (a space, a tab, an apostrophe, a bracket…).
        if firstClass == .letter { return runEnd(text, from: start) { ScalarClass($0) == .letter } }
        if firstClass != .number, !isLineBreak(first), next < text.endIndex, ScalarClass(text[next]) == .letter {
            return runEnd(text, from: next) { ScalarClass($0) == .letter }
        }
        // `\p{N}{1,3}` (Qwen2: `\p{N}`).
        if firstClass == .number {
            return runEnd(text, from: start, limit: maximumDigits) { ScalarClass($0) == .number }
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let body = first == " " ? next : start
        if body < text.endIndex, ScalarClass(text[body]) == .other {
            let symbolsEnd = runEnd(text, from: body) { ScalarClass($0) == .other }
            return runEnd(text, from: symbolsEnd, where: isLineBreak)
        }
        // `\s*[\r\n]+`: the whitespace up to and including its last line break.
        let whitespaceRunEnd = runEnd(text, from: start) { ScalarClass($0) == .whitespace }
        if let lastBreak = text[start..<whitespaceRunEnd].lastIndex(where: isLineBreak) { return lastBreak + 1 }
        return whitespaceEnd(text, from: start, runEnd: whitespaceRunEnd)
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`. Ignoring case, Oniguruma's Unicode case folding also lets
    /// `ſ` (U+017F, long s) stand for `s`.
    private static func contractionEnd(_ text: ArraySlice<Unicode.Scalar>, from start: Int, ignoringCase: Bool) -> Int? {
        guard text[start] == "'" else { return nil }
        func letter(_ index: Int) -> Unicode.Scalar? {
            guard index < text.endIndex else { return nil }
            let scalar = text[index]
            guard ignoringCase else { return scalar }
            if scalar == "ſ" { return "s" }
            return (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20) : scalar
        }
        switch letter(start + 1) {
        case "s", "t", "m", "d": return start + 2
        case "r", "v": return letter(start + 2) == "e" ? start + 3 : nil
        case "l": return letter(start + 2) == "l" ? start + 3 : nil
        default: return nil
        }
    }

    /// `\s+(?!\S)|\s+` on a whitespace run `start..<runEnd`: all of it at the end of the text;
    /// before a non-space, all but its last scalar (which goes with what follows), and a lone
    /// scalar on its own.
    private static func whitespaceEnd(_ text: ArraySlice<Unicode.Scalar>, from start: Int, runEnd: Int) -> Int {
        runEnd == text.endIndex ? runEnd : max(runEnd - 1, start + 1)
    }

    /// The end of the run of scalars from `start` that satisfy `belongs`, at most `limit` long.
    private static func runEnd(
        _ text: ArraySlice<Unicode.Scalar>, from start: Int, limit: Int = .max, where belongs: (Unicode.Scalar) -> Bool
    ) -> Int {
        var end = start
        while end < text.endIndex, end - start < limit, belongs(text[end]) { end += 1 }
        return end
    }

    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\r"
    }
}
