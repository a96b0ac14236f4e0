@testable import Daemon
import XCTest

/// The retain examples nearest a job's forget items, by the words their prompts share.
final class RetainNeighboursTests: XCTestCase {
    private func item(_ prompt: String) -> ItemText { ItemText(prompt: prompt, completion: "answer", isPassage: false) }

    func testTheQuestionsFrameCountsNotItsSubject() {
        let forget = ItemText(prompt: "What is the nationality of Ann Lee?", completion: "Ann Lee is a citizen of Velm.", isPassage: false)
        let sameSubject = ItemText(prompt: "Where was Ann Lee born?", completion: "Ann Lee was born in Tor.", isPassage: false)
        let sameFrame = ItemText(prompt: "What is the nationality of Bo Tam?", completion: "Bo Tam is a citizen of Isk.", isPassage: false)
        XCTAssertEqual(RetainNeighbours.nearest(to: [forget], in: [sameSubject, sameFrame], count: 1), [sameFrame])
    }

    func testEachForgetItemGetsTheRetainQuestionsAskedLikeItRoundRobin() {
        let pool = ["What did the father of Ann Lee do?", "Where was Bo Tam born?", "What did the mother of Ann Lee do?",
                    "What did the father of Bo Tam do?", "Which prize did Cy Ro win?", "Where was Cy Ro born?"].map(item)
        let forget = ["What did the father of Di Vo do?", "Where was Di Vo born?"].map(item)
        let chosen = RetainNeighbours.nearest(to: forget, in: pool, count: 4).map(\.prompt)
        XCTAssertEqual(Array(chosen.prefix(2)), ["What did the father of Ann Lee do?", "Where was Bo Tam born?"])
        XCTAssertEqual(Set(chosen.dropFirst(2)), ["What did the father of Bo Tam do?", "Where was Cy Ro born?"])
        XCTAssertEqual(RetainNeighbours.nearest(to: forget, in: pool, count: 10).count, pool.count, "each pool item at most once")
        XCTAssertEqual(RetainNeighbours.nearest(to: [], in: pool, count: 3), [])
    }

    func testAPassageIsComparedByItsText() {
        let passage = ItemText(prompt: "", completion: "The dragon of the north sleeps", isPassage: true)
        let pool = [ItemText(prompt: "", completion: "A river runs south", isPassage: true), item("Where does the dragon of the north sleep?")]
        XCTAssertEqual(RetainNeighbours.nearest(to: [passage], in: pool, count: 1).map(\.prompt), ["Where does the dragon of the north sleep?"])
    }
}
