import Foundation
import XCTest
@testable import Daemon

/// Retain and utility sets as the daemon reads them at start: JSONL lines in the request item
/// schema; a utility set's line may be a prompt alone; a bad line is named by file and line.
final class DataSetParserTests: XCTestCase {
    private func read(_ text: String) throws(RequestError) -> [DataSetItem] {
        try RequestParser.accepted.dataSet(Array(text.utf8), fileName: "set.jsonl")
    }

    func testEveryItemFormIsReadAndBlankLinesAreSkipped() throws {
        let items = try read("""
            {"prompt": "Who wrote Dune?", "completion": "Frank Herbert."}

            {"text": "A passage to keep."}
            {"prompt": "What is the capital of France?", "id": "q3"}\r
            """)
        XCTAssertEqual(items, [.item(.completion(prompt: "Who wrote Dune?", completion: "Frank Herbert.")), .item(.text("A passage to keep.")),
                               .prompt("What is the capital of France?")])
    }

    func testBadLinesAreNamedByLineAndField() {
        let cases: [(String, String?, String)] = [
            ("{\"completion\": \"An answer alone\"}", "line 1.prompt", "is required with \"completion\""),
            ("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"answer\": \"b\"}", "line 2", "has a key that is not an item field"),
            ("{\"prompt\": \"a\", \"completion\": \"b\",}", "line 1", "trailing commas"),
            ("[\"a\"]", "line 1", "must be an object"),
            ("{\"text\": \"\\u200b\"}", "line 1.text", "must not be empty or blank"),
            ("\n \n", nil, "has no item lines"),
            ("{\"text\": \"a\"}\u{0}", nil, "contains a NUL byte"),
        ]
        for (text, field, reason) in cases {
            XCTAssertThrowsError(try read(text), text) { error in
                guard let error = error as? RequestError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(error.file, "set.jsonl")
                XCTAssertEqual(error.field, field, "\(text): \(error)")
                XCTAssertTrue(error.reason.contains(reason), "\(text): \(error)")
            }
        }
    }
}
