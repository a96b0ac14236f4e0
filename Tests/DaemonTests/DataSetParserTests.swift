import Foundation
import XCTest
@testable import Daemon

/// Retain and utility sets as the daemon reads them at start: JSONL lines in the request item
/// schema; a utility set's line may be a prompt alone; a bad line is named by file and line.
final class DataSetParserTests: XCTestCase {
    private func read(_ text: String, promptAlone: Bool) throws(RequestError) -> [DataSetItem] {
        try RequestParser.accepted.dataSet(Array(text.utf8), fileName: "set.jsonl", promptAlone: promptAlone)
    }

    func testEveryItemFormIsReadAndBlankLinesAreSkipped() throws {
        let items = try read("""
            {"prompt": "Who wrote Dune?", "completion": "Frank Herbert."}

            {"text": "A passage to keep."}
            {"prompt": "What is the capital of France?", "id": "q3"}\r
            """, promptAlone: true)
        XCTAssertEqual(items, [.item(.completion(prompt: "Who wrote Dune?", completion: "Frank Herbert.")), .item(.text("A passage to keep.")),
                               .prompt("What is the capital of France?")])
    }

    func testBadLinesAreNamedByLineAndField() {
        let cases: [(String, Bool, String?, String)] = [
            ("{\"prompt\": \"Only a question\"}", false, "line 1.completion", "is required with \"prompt\""),
            ("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"answer\": \"b\"}", true, "line 2", "has a key that is not an item field"),
            ("{\"prompt\": \"a\", \"completion\": \"b\",}", true, "line 1", "trailing commas"),
            ("[\"a\"]", true, "line 1", "must be an object"),
            ("{\"text\": \"\\u200b\"}", true, "line 1.text", "must not be empty or blank"),
            ("\n \n", true, nil, "has no item lines"),
            ("{\"text\": \"a\"}\u{0}", true, nil, "contains a NUL byte"),
        ]
        for (text, promptAlone, field, reason) in cases {
            XCTAssertThrowsError(try read(text, promptAlone: promptAlone), text) { error in
                guard let error = error as? RequestError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(error.file, "set.jsonl")
                XCTAssertEqual(error.field, field, "\(text): \(error)")
                XCTAssertTrue(error.reason.contains(reason), "\(text): \(error)")
            }
        }
    }
}
