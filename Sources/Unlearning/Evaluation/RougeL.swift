/// ROUGE-L between a generated answer and a reference: the longest common subsequence of
/// their words. Words are the maximal runs of letters and digits, lowercased (for ASCII text
/// this is the tokenisation of Google's `rouge_score` without a stemmer: lowercase, every
/// other character a separator).
public enum RougeL {
    public static func words(_ text: String) -> [Substring] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }
    }

    /// The fraction of the reference's words that the candidate recalls in order.
    public static func recall(candidate: String, reference: String) -> Double {
        let referenceWords = words(reference)
        guard !referenceWords.isEmpty else { return 0 }
        return Double(longestCommonSubsequence(words(candidate), referenceWords)) / Double(referenceWords.count)
    }

    /// The length of the longest common subsequence, in O(|a|·|b|) time and O(|b|) memory.
    static func longestCommonSubsequence<Element: Equatable>(_ a: [Element], _ b: [Element]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var current = previous
        for x in a {
            for (j, y) in b.enumerated() {
                current[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], current[j])
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
