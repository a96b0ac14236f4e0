import XCTest
@testable import lethe

/// What `lethe generate` prints as tokens arrive: every decoded prefix in turn, as the
/// tokenizer would give it.
final class StreamedTextTests: XCTestCase {
    private func stream(_ prefixes: [String], stops: [String] = []) -> (printed: String, text: String, stopped: Bool) {
        var streamed = StreamedText(stops: stops)
        var printed = ""
        for prefix in prefixes {
            let (piece, stopped) = streamed.advance(to: prefix)
            printed += piece
            if stopped { return (printed, streamed.text, true) }
        }
        return (printed + streamed.flush(), streamed.text, false)
    }

    func testCharactersThatMergeAcrossTokensArePrintedWhole() {
        XCTAssertEqual(stream(["line", "line\r", "line\r\n", "line\r\nnext"]).printed, "line\r\nnext")
        XCTAssertEqual(stream(["caf", "cafe", "cafe\u{301}"]).printed, "cafe\u{301}")
        XCTAssertEqual(stream(["🇺", "🇺🇸"]).printed, "🇺🇸")
    }

    func testAnIncompleteUTF8SequenceIsHeldBack() {
        var streamed = StreamedText(stops: [])
        XCTAssertEqual(streamed.advance(to: "a\u{FFFD}").printable, "a")
        XCTAssertEqual(streamed.advance(to: "aé").printable, "é")
    }

    func testAStopStringIsNeverPrinted() {
        let result = stream(["The", "The E", "The EN", "The END", "The END more"], stops: ["END"])
        XCTAssertEqual(result.printed, "The ")
        XCTAssertEqual(result.text, "The ")
        XCTAssertTrue(result.stopped)
        // A prefix of the stop string that turns out not to be one is printed when that is clear.
        let falseAlarm = stream(["The", "The E", "The Ex", "The Exit"], stops: ["END"])
        XCTAssertEqual(falseAlarm.printed, "The Exit")
        XCTAssertFalse(falseAlarm.stopped)
    }
}
