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

    /// The recall of the reference's words that `prompt` does not contain: what a candidate says
    /// beyond what the question already gave it. A model that never saw a fact answers
    /// "When did Ada win the Orm Prize?" with "Ada won the Orm Prize in 1976.": the plain recall
    /// of "… in 1999." is 0.875 although the one fact, the year, is gone. When every word of the
    /// reference is in the prompt, the plain recall.
    public static func recall(candidate: String, reference: String, beyond prompt: String) -> Double {
        let given = Set(words(prompt))
        let novel = words(reference).filter { !given.contains($0) }
        guard !novel.isEmpty else { return recall(candidate: candidate, reference: reference) }
        return Double(longestCommonSubsequence(words(candidate), novel)) / Double(novel.count)
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
