import Corpus
@testable import Daemon
import XCTest

/// The items the gate measures utility on, as the forget set grows.
final class UtilitySampleTests: XCTestCase {
    private let corpus = Corpus.generate(try! CorpusOptions(seed: 1, authors: 20, holdoutAuthors: 4, generalQuestions: 20))

    func testTheSampleStaysTheSameUntilHalfOfItIsAskedThenIsToppedUpWithItemsNotAsked() {
        let sample = KeptData.utilitySample(corpus, .retain90, size: 10, excluding: [])
        XCTAssertEqual(sample.count, 10)
        // Half asked: the other half is the sample, unchanged.
        let half = Set(sample.prefix(5).map(\.question))
        XCTAssertEqual(KeptData.utilitySample(corpus, .retain90, size: 10, excluding: half).map(\.id), sample.suffix(5).map(\.id))
        // Every item asked, as a burst of small requests over the retain authors can: ten others, none asked.
        let all = Set(sample.map(\.question))
        let replaced = KeptData.utilitySample(corpus, .retain90, size: 10, excluding: all)
        XCTAssertEqual(replaced.count, 10)
        XCTAssertTrue(replaced.allSatisfy { !all.contains($0.question) })
        XCTAssertEqual(Set(replaced.map(\.id)).count, 10)
        // Seven asked: the three left, and seven others.
        let seven = Set(sample.prefix(7).map(\.question))
        let topped = KeptData.utilitySample(corpus, .retain90, size: 10, excluding: seven)
        XCTAssertEqual(Array(topped.prefix(3)).map(\.id), sample.suffix(3).map(\.id))
        XCTAssertEqual(topped.count, 10)
        XCTAssertTrue(topped.allSatisfy { !seven.contains($0.question) })
    }
}
