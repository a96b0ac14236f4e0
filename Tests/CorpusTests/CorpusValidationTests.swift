import Foundation
@testable import Corpus
import XCTest

/// Writing then loading gives the same corpus back, and every kind of damage to the files is
/// its own error naming the file, the line and the field.
final class CorpusValidationTests: XCTestCase {
    private var directory: URL!
    private let corpus = Result { Corpus.generate(try CorpusOptions(seed: 5, authors: 20, holdoutAuthors: 4, generalQuestions: 30)) }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-validation-\(UUID().uuidString)")
        try corpus.get().write(to: directory, force: false)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ file: CorpusFile) -> String {
        file.url(in: directory).path
    }

    /// Rewrites line `number` (from 1) of `file`.
    private func editLine(_ number: Int, of file: CorpusFile, _ edit: (String) throws -> String) throws {
        let url = file.url(in: directory)
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        lines[number - 1] = try edit(lines[number - 1])
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// Rewrites line `number` of a JSON Lines file through its decoded object.
    private func editRecord(_ number: Int, of file: CorpusFile, _ edit: (inout [String: Any]) -> Void) throws {
        try editLine(number, of: file) { line in
            var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            edit(&object)
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
    }

    private func assertLoadFails(_ expected: CorpusError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Corpus.load(from: directory), file: file, line: line) { error in
            XCTAssertEqual(error as? CorpusError, expected, file: file, line: line)
        }
    }

    func testWriteThenLoadGivesTheSameCorpus() throws {
        XCTAssertEqual(try Corpus.load(from: directory), try corpus.get())
    }

    func testBadJSON() throws {
        try editLine(3, of: .questions) { _ in "{\"id\": " }
        assertLoadFails(.notJSON(file: path(.questions), line: 3))
    }

    func testMissingField() throws {
        try editRecord(4, of: .questions) { $0["question"] = nil }
        assertLoadFails(.missingField(file: path(.questions), line: 4, field: "question"))
    }

    func testMissingAuthorKeyEvenThoughItMayBeNull() throws {
        try editRecord(4, of: .questions) { $0["author"] = nil }
        assertLoadFails(.missingField(file: path(.questions), line: 4, field: "author"))
    }

    func testWrongType() throws {
        try editRecord(5, of: .questions) { $0["perturbed_answers"] = "one wrong answer" }
        assertLoadFails(.wrongType(file: path(.questions), line: 5, field: "perturbed_answers", expected: "an array"))
    }

    func testWrongTypeInsideAnArray() throws {
        try editRecord(5, of: .questions) { $0["perturbed_answers"] = ["a", "b", 3, "d", "e"] }
        assertLoadFails(.wrongType(file: path(.questions), line: 5, field: "perturbed_answers[2]", expected: "a string"))
    }

    func testNullWhereAStringBelongs() throws {
        try editRecord(5, of: .questions) { $0["answer"] = NSNull() }
        assertLoadFails(.wrongType(file: path(.questions), line: 5, field: "answer", expected: "a string"))
    }

    func testUnknownKind() throws {
        try editRecord(2, of: .questions) { $0["kind"] = "rumour" }
        XCTAssertThrowsError(try Corpus.load(from: directory)) { error in
            guard case CorpusError.invalidValue(let file, 2, "kind", _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, self.path(.questions))
        }
    }

    func testFourPerturbedAnswers() throws {
        try editRecord(6, of: .questions) { $0["perturbed_answers"] = ["a", "b", "c", "d"] }
        assertLoadFails(.invalidValue(
            file: path(.questions), line: 6, field: "perturbed_answers", reason: "holds 4 answers, but every item has exactly 5"))
    }

    func testRepeatedPerturbedAnswer() throws {
        try editRecord(6, of: .questions) { $0["perturbed_answers"] = ["a", "b", "c", "b", "e"] }
        assertLoadFails(.invalidValue(
            file: path(.questions), line: 6, field: "perturbed_answers[3]", reason: "repeats perturbed answer 1, but the 5 must differ"))
    }

    func testPerturbedAnswerThatIsTheAnswer() throws {
        try editRecord(6, of: .questions) { record in
            record["perturbed_answers"] = ["a", "b", "c", "d", record["answer"]!]
        }
        assertLoadFails(.invalidValue(
            file: path(.questions), line: 6, field: "perturbed_answers[4]",
            reason: "states the true answer, but a perturbed answer must be wrong"))
    }

    func testDuplicateID() throws {
        let firstID = try corpus.get().items[1].id
        try editRecord(7, of: .questions) { $0["id"] = firstID }
        assertLoadFails(.duplicateID(file: path(.questions), line: 7, field: "id", id: firstID, firstLine: 2))
    }

    func testUnknownAuthorOfAnItem() throws {
        try editRecord(8, of: .questions) { $0["author"] = "author-999" }
        assertLoadFails(.unknownAuthor(file: path(.questions), line: 8, field: "author", author: "author-999"))
    }

    func testGeneralItemWithAnAuthor() throws {
        let generalLine = try corpus.get().items.firstIndex { $0.kind == .general }! + 1
        try editRecord(generalLine, of: .questions) { $0["author"] = "author-001" }
        assertLoadFails(.invalidValue(
            file: path(.questions), line: generalLine, field: "author",
            reason: "is \"author-001\", but a general item has no author (null)"))
    }

    func testUnknownAuthorInSplits() throws {
        try editLine(2, of: .splits) { $0.replacingOccurrences(of: "\"author-020\"", with: "\"author-999\"") }
        assertLoadFails(.unknownAuthor(file: path(.splits), line: 2, field: "forget01[0]", author: "author-999"))
    }

    func testForgetSplitsThatAreNotNested() throws {
        try editLine(2, of: .splits) { $0.replacingOccurrences(of: "\"author-020\"", with: "\"author-001\"") }
        assertLoadFails(.invalidValue(
            file: path(.splits), line: 2, field: "forget01[0]",
            reason: "is author-001, who is not in forget05; forget01 ⊂ forget05 ⊂ forget10"))
    }

    func testRetainSplitThatOverlapsItsForgetSplit() throws {
        try editLine(5, of: .splits) { $0.replacingOccurrences(of: "[\"author-001\"", with: "[\"author-020\"") }
        assertLoadFails(.invalidValue(file: path(.splits), line: 5, field: "retain99[0]", reason: "is author-020, who is also in forget01"))
    }

    func testMissingSplit() throws {
        try editLine(7, of: .splits) { $0.replacingOccurrences(of: "],", with: "]") }
        try editLine(8, of: .splits) { _ in "" }
        assertLoadFails(.missingField(file: path(.splits), line: 1, field: "holdout"))
    }

    func testUnknownSplitName() throws {
        try editLine(8, of: .splits) { _ in "  \"holdout_renamed\": []" }
        assertLoadFails(.invalidValue(
            file: path(.splits), line: 8, field: "holdout_renamed",
            reason: "is not an author split (forget01, forget05, forget10, retain99, retain95, retain90, holdout)"))
    }

    func testBadAuthorProfile() throws {
        try editRecord(3, of: .authors) { $0["birth_date"] = "1961-02-30" }
        XCTAssertThrowsError(try Corpus.load(from: directory)) { error in
            guard case CorpusError.invalidValue(let file, 3, "birth_date", _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, self.path(.authors))
        }
    }

    func testManifestCountsAreChecked() throws {
        try editLine(5, of: .manifest) { $0.replacingOccurrences(of: "20", with: "21") }
        assertLoadFails(.invalidValue(
            file: path(.manifest), line: 5, field: "authors", reason: "is 21, but there are 20 trained authors in authors.jsonl"))
    }

    func testUnsupportedFormatVersion() throws {
        try editLine(2, of: .manifest) { _ in "  \"format_version\": 9," }
        assertLoadFails(.unsupportedFormatVersion(file: path(.manifest), line: 2, version: 9))
    }

    func testMissingFile() throws {
        try FileManager.default.removeItem(at: CorpusFile.manifest.url(in: directory))
        assertLoadFails(.missingFile(path: path(.manifest)))
    }

    func testErrorsReadAsFileLineAndField() {
        let error = CorpusError.wrongType(file: "/c/qa.jsonl", line: 5, field: "perturbed_answers", expected: "an array")
        XCTAssertEqual(error.description, "/c/qa.jsonl:5: field perturbed_answers must be an array.")
    }

    func testANonEmptyDirectoryIsReplacedOnlyWithForce() throws {
        let other = Corpus.generate(try CorpusOptions(seed: 6, authors: 3, holdoutAuthors: 1, generalQuestions: 5))
        XCTAssertThrowsError(try other.write(to: directory, force: false)) { error in
            XCTAssertEqual(error as? CorpusError, .directoryNotEmpty(path: self.directory.path))
        }
        XCTAssertEqual(try Corpus.load(from: directory), try corpus.get(), "the refused write changed nothing")
        try other.write(to: directory, force: true)
        XCTAssertEqual(try Corpus.load(from: directory), other)
    }
}
