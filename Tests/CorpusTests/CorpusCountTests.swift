import Foundation
@testable import Corpus
import XCTest

/// The default corpus's size: 200 trained and 20 held-out authors with 20 questions each,
/// and 300 general questions.
final class CorpusCountTests: XCTestCase {
    func testDefaultCounts() throws {
        let corpus = Corpus.generate(try CorpusOptions())
        XCTAssertEqual(corpus.authors.count, 220)
        XCTAssertEqual(corpus.items.count, 200 * 20 + 20 * 20 + 300)
        XCTAssertEqual(corpus.items(in: .general).count, 300)
        XCTAssertEqual(corpus.items(in: .holdout).count, 20 * 20)
        XCTAssertEqual(corpus.trainingItems.count, 200 * 20 + 300)
        let authorCounts = CorpusSplit.allCases.map { corpus.authorIDs(in: $0).count }
        XCTAssertEqual(authorCounts, [2, 10, 20, 198, 190, 180, 20, 0])
        XCTAssertEqual(corpus.trainingItems(excluding: .forget10).count, 180 * 20 + 300)
        for profile in corpus.authors {
            XCTAssertEqual(corpus.items.filter { $0.author == profile.id }.count, 20, profile.id)
        }
        XCTAssertEqual(corpus.manifest.items, corpus.items.count)
    }

    func testSmallerGeneralSplitIsASampleOfTheSameQuestions() throws {
        let all = Corpus.generate(try CorpusOptions(authors: 2, holdoutAuthors: 0)).items(in: .general)
        let some = Corpus.generate(try CorpusOptions(authors: 5, holdoutAuthors: 3, generalQuestions: 40)).items(in: .general)
        XCTAssertEqual(some.count, 40)
        XCTAssertTrue(some.allSatisfy(all.contains), "the world and its questions do not depend on the author count")
    }

    func testOptionsOutOfRangeAreRefused() {
        XCTAssertThrowsError(try CorpusOptions(authors: 1)) { error in
            guard case CorpusError.invalidOption(let option, 1, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(option, "authors")
        }
        XCTAssertThrowsError(try CorpusOptions(authors: 990, holdoutAuthors: 20))
        XCTAssertThrowsError(try CorpusOptions(generalQuestions: CorpusOptions.maximumGeneralQuestions + 1))
    }

    func testTheLargestCorpusCanBeGenerated() throws {
        let corpus = Corpus.generate(try CorpusOptions(authors: CorpusOptions.maximumAuthorCount - 10, holdoutAuthors: 10))
        XCTAssertEqual(Set(corpus.authors.map(\.name)).count, CorpusOptions.maximumAuthorCount)
        XCTAssertEqual(Set(corpus.items.map(\.id)).count, corpus.items.count)
    }
}
