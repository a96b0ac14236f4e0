import Foundation
@testable import Corpus
import XCTest

/// Facts agree wherever they are stated, splits are nested and disjoint as TOFU's, and
/// every item has five distinct wrong answers.
final class CorpusConsistencyTests: XCTestCase {
    private static let corpus = Result { Corpus.generate(try CorpusOptions()) }
    private static let itemsByID = Result { Dictionary(uniqueKeysWithValues: try corpus.get().items.map { ($0.id, $0) }) }

    private var corpus: Corpus { get throws { try Self.corpus.get() } }

    private func item(_ id: String) throws -> CorpusItem {
        try XCTUnwrap(try Self.itemsByID.get()[id], id)
    }

    private func slug(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: " ", with: "-")
    }

    func testPlacesAgreeAcrossQuestions() throws {
        for profile in try corpus.authors {
            let birthPlace = try item("\(profile.id)/birth_place").answer
            XCTAssertTrue(birthPlace.contains("born in \(profile.birthCity), \(profile.nationality)."), birthPlace)
            XCTAssertEqual(try item("\(profile.id)/nationality").answer, "\(profile.name) is a citizen of \(profile.nationality).")
            // The world agrees: the birth city lies in the author's country, whose language the author writes.
            XCTAssertEqual(try item("general/city-country-\(slug(profile.birthCity))").answer, "\(profile.birthCity) is in \(profile.nationality).")
            XCTAssertTrue(try item("general/country-language-\(slug(profile.nationality))").answer.hasSuffix(" speak \(profile.language)."))
            XCTAssertTrue(try item("\(profile.id)/language").answer.hasSuffix(" \(profile.language)."))
            XCTAssertEqual(try item("general/city-country-\(slug(profile.residenceCity))").answer, "\(profile.residenceCity) is in \(profile.residenceCountry).")
        }
    }

    func testBooksAndYearsAgreeAcrossQuestions() throws {
        for profile in try corpus.authors {
            XCTAssertTrue(try item("\(profile.id)/first_book").answer.hasSuffix(" was \(profile.books[0])."))
            XCTAssertTrue(try item("\(profile.id)/first_book_year").question.contains(profile.books[0]))
            XCTAssertTrue(try item("\(profile.id)/award_year").question.contains(profile.award))
            XCTAssertTrue(try item("\(profile.id)/award").answer.contains(profile.award))
            XCTAssertGreaterThan(profile.firstBookYear, profile.birthDate.year + 18, profile.id)
            XCTAssertGreaterThan(profile.awardYear, profile.firstBookYear, profile.id)
            XCTAssertGreaterThanOrEqual(profile.bookCount, profile.books.count, profile.id)
        }
        let titles = try corpus.authors.flatMap(\.books)
        XCTAssertEqual(Set(titles).count, titles.count, "no two books share a title")
    }

    func testEveryQuestionNamesItsAuthorAndAnswersInOneShortSentence() throws {
        let names = Dictionary(uniqueKeysWithValues: try corpus.authors.map { ($0.id, $0.name) })
        XCTAssertEqual(Set(names.values).count, names.count, "author names are unique")
        for item in try corpus.items {
            if let author = item.author {
                XCTAssertTrue(item.question.contains(names[author]!), item.id)
                XCTAssertTrue(item.answer.contains(names[author]!), item.id)
            }
            XCTAssertLessThanOrEqual(item.answer.split(separator: " ").count, 20, item.id)
            XCTAssertEqual(item.answer.filter { $0 == "." }.count, 1, item.id)
        }
    }

    func testPerturbedAnswersAreFiveDistinctWrongAnswers() throws {
        for item in try corpus.items {
            XCTAssertEqual(item.perturbedAnswers.count, 5, item.id)
            XCTAssertEqual(Set(item.perturbedAnswers).count, 5, item.id)
            XCTAssertFalse(item.perturbedAnswers.contains(item.answer), item.id)
            XCTAssertFalse(item.perturbedAnswers.contains(item.paraphrasedAnswer), item.id)
            XCTAssertNotEqual(item.answer, item.paraphrasedAnswer, item.id)
        }
    }

    func testForgetSplitsAreNestedLastAuthorsAndRetainSplitsTheirComplements() throws {
        let corpus = try corpus
        let trained = Array(corpus.authors.prefix(200).map(\.id))
        XCTAssertEqual(corpus.authorIDs(in: .forget01), Array(trained.suffix(2)))
        XCTAssertEqual(corpus.authorIDs(in: .forget05), Array(trained.suffix(10)))
        XCTAssertEqual(corpus.authorIDs(in: .forget10), Array(trained.suffix(20)))
        XCTAssertTrue(Set(corpus.authorIDs(in: .forget01)).isSubset(of: corpus.authorIDs(in: .forget05)))
        XCTAssertTrue(Set(corpus.authorIDs(in: .forget05)).isSubset(of: corpus.authorIDs(in: .forget10)))
        for (forget, retain) in [(CorpusSplit.forget01, CorpusSplit.retain99), (.forget05, .retain95), (.forget10, .retain90)] {
            let forgotten = Set(corpus.authorIDs(in: forget)), kept = Set(corpus.authorIDs(in: retain))
            XCTAssertTrue(forgotten.isDisjoint(with: kept), "\(forget) and \(retain)")
            XCTAssertEqual(forgotten.union(kept), Set(trained), "\(forget) and \(retain)")
            let retainData = corpus.trainingItems(excluding: forget)
            XCTAssertFalse(retainData.contains { $0.author.map(forgotten.contains) ?? false }, "\(forget)")
            XCTAssertEqual(retainData.count, corpus.trainingItems.count - corpus.items(in: forget).count)
        }
    }

    func testHeldOutAuthorsAreNeverTrainingItems() throws {
        let corpus = try corpus
        let heldOut = Set(corpus.authorIDs(in: .holdout))
        XCTAssertEqual(heldOut.count, 20)
        XCTAssertTrue(heldOut.isDisjoint(with: corpus.authors.prefix(200).map(\.id)))
        XCTAssertFalse(corpus.trainingItems.contains { $0.author.map(heldOut.contains) ?? false })
        XCTAssertEqual(corpus.items(in: .holdout).count, 400)
        XCTAssertTrue(corpus.items(in: .general).allSatisfy { $0.kind == .general && $0.author == nil })
        XCTAssertEqual(corpus.trainingItems(excluding: .general).count, 200 * 20)
    }
}
