import XCTest
@testable import Unlearning

final class RougeLTests: XCTestCase {
    func testWordsAreLowercasedRunsOfLettersAndDigits() {
        XCTAssertEqual(RougeL.words("Elira Vantosk, born 3-March-1961!"), ["elira", "vantosk", "born", "3", "march", "1961"])
        XCTAssertEqual(RougeL.words("  ...  "), [])
    }

    func testHandComputedRecalls() {
        // Reference 6 words; the candidate keeps "was born in" and "1961" in order: 4 / 6.
        XCTAssertEqual(RougeL.recall(candidate: "She was born in Velmora in 1961", reference: "Aldo was born in Mardessa 1961"),
                       4.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(RougeL.recall(candidate: "the cat sat", reference: "The cat sat."), 1)
        // Order matters: "b a" against "a b" has a common subsequence of one word.
        XCTAssertEqual(RougeL.recall(candidate: "b a", reference: "a b"), 0.5)
        XCTAssertEqual(RougeL.recall(candidate: "", reference: "a b"), 0)
        XCTAssertEqual(RougeL.recall(candidate: "a b", reference: ""), 0)
        // Repeated words count once each in the subsequence.
        XCTAssertEqual(RougeL.recall(candidate: "a a a", reference: "a b a"), 2.0 / 3.0, accuracy: 1e-12)
    }

    func testRecallBeyondThePromptCountsOnlyTheAnswersOwnWords() {
        let question = "When did Poror Kraeleck win the Skovonett Prize?"
        let answer = "Poror Kraeleck won the Skovonett Prize in 1999."
        // The answer's own words are "won in 1999": the question gives the rest.
        XCTAssertEqual(RougeL.recall(candidate: "Poror Kraeleck won the Skovonett Prize in 1976.", reference: answer, beyond: question),
                       2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(RougeL.recall(candidate: "Poror Kraeleck won the Skovonett Prize in 1976.", reference: answer), 7.0 / 8.0,
                       accuracy: 1e-12)
        XCTAssertEqual(RougeL.recall(candidate: "It was in 1999, when she won.", reference: answer, beyond: question), 2.0 / 3.0,
                       accuracy: 1e-12, "in order: \"in 1999\" or \"won\", not all three")
        XCTAssertEqual(RougeL.recall(candidate: "won in 1999", reference: answer, beyond: question), 1)
        // Words are compared as ROUGE-L compares them: lowercased, punctuation a separator.
        XCTAssertEqual(RougeL.recall(candidate: "1999", reference: "Skovonett, 1999.", beyond: "skovonett?"), 1)
        // An answer whose every word the question holds falls back to the plain recall.
        XCTAssertEqual(RougeL.recall(candidate: "Prize", reference: "The Prize.", beyond: "Which prize? The one?"), 0.5)
        XCTAssertEqual(RougeL.recall(candidate: "anything", reference: "a b", beyond: ""), 0)
    }

    func testLongestCommonSubsequenceOfLongerSequences() {
        XCTAssertEqual(RougeL.longestCommonSubsequence(Array("ABCBDAB"), Array("BDCABA")), 4)
        XCTAssertEqual(RougeL.longestCommonSubsequence(Array("AGGTAB"), Array("GXTXAYB")), 4)
    }
}
