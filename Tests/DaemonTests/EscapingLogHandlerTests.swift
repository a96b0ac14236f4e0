import Logging
import XCTest
@testable import Daemon

/// Finding 3: nothing from a request or a file name can start a log line or reach the
/// terminal raw, whatever the handler behind it prints.
final class EscapingLogHandlerTests: XCTestCase {
    /// Keeps what it was handed, as the stream handler would print it.
    private final class Recorder: @unchecked Sendable {
        var events: [LogEvent] = []
    }

    private struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { recorder.events.append(event) }
    }

    func testMessagesAndMetadataFromOutsideAreEscaped() throws {
        let recorder = Recorder()
        let logger = Logger(label: "test") { _ in EscapingLogHandler(wrapping: RecordingHandler(recorder: recorder)) }
        logger.warning("refused h36\nFAKE3 injected.json", metadata: [
            "file": "\u{1b}[31mred\u{1b}[0m.json", "field": "x\nFAKE-LOG-LINE injected",
            "list": .array(["a\rb"]), "bidi": "\u{202E}nosj.exe",
        ])
        let event = try XCTUnwrap(recorder.events.first)
        XCTAssertEqual(event.message.description, "refused h36\\nFAKE3 injected.json")
        let shown = event.metadata ?? [:]
        XCTAssertEqual(shown["file"], "\\u{1B}[31mred\\u{1B}[0m.json")
        XCTAssertEqual(shown["field"], "x\\nFAKE-LOG-LINE injected")
        XCTAssertEqual(shown["list"], .array(["a\\rb"]))
        XCTAssertEqual(shown["bidi"], "\\u{202E}nosj.exe")
    }

    func testSafeTextEscapesTheBackslashSoEscapesCannotBeForgedAndCutsLongText() {
        XCTAssertEqual(SafeText.escaped(#"a\nb"#), #"a\\nb"#, "a literal backslash-n is not a newline's escape")
        XCTAssertEqual(SafeText.escaped(String(repeating: "x", count: 10), limit: 4), "xxxx…")
        XCTAssertEqual(SafeText.escaped("Zaegard, Kriressa — ок"), "Zaegard, Kriressa — ок", "printable text unchanged")
    }
}
