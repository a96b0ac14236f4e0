import Foundation
import Model
import XCTest

/// `lethe bench tokenize` through the real executable, on a committed fixture tokenizer and
/// a small text: the keys scripts read and ids that are the tokenizer's. No timing is
/// asserted, and the peer is not run (a test machine need not have Python's tokenizers).
final class BenchTokenizeCommandTests: XCTestCase {
    func testTokenizeBenchmarkReportsBothWaysAndSaysThePeerDidNotRun() throws {
        let tokenizer = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ModelTests/Fixtures/tokenizer/llama3_style/tokenizer.json").standardized
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-bench-text-\(UUID().uuidString).txt")
        let bytes = Data("Hello world\r\nsecond line 12345\n\nthird".utf8)
        try bytes.write(to: text)
        defer { try? FileManager.default.removeItem(at: text) }
        let result = try LetheProcess.json(["bench", "tokenize", "--tokenizer", tokenizer.path, "--text-file", text.path,
                                            "--repetitions", "2", "--no-peer", "--json"])
        let lethe = try XCTUnwrap(result["lethe"] as? [String: Any])
        XCTAssertEqual(lethe["text_bytes"] as? Int, bytes.count)
        XCTAssertEqual(lethe["repetitions"] as? Int, 2)
        // The ids the library gives, whole and cut after each "\n" ("\r\n" stays whole).
        let library = try Tokenizer(file: tokenizer)
        let whole = library.encode("Hello world\r\nsecond line 12345\n\nthird")
        let byLine = ["Hello world\r\n", "second line 12345\n", "\n", "third"].flatMap { library.encode($0) }
        XCTAssertEqual(lethe["tokens"] as? Int, whole.count)
        XCTAssertEqual((lethe["id_checksum"] as? NSNumber)?.uint64Value, TokenizerBenchmark.idChecksum(whole))
        XCTAssertEqual(lethe["line_tokens"] as? Int, byLine.count)
        XCTAssertEqual((lethe["line_id_checksum"] as? NSNumber)?.uint64Value, TokenizerBenchmark.idChecksum(byLine))
        for key in ["megabytes_per_second", "tokens_per_second", "line_megabytes_per_second", "line_tokens_per_second"] {
            let value = try XCTUnwrap(lethe[key] as? Double, key)
            XCTAssertTrue(value.isFinite && value > 0, key)
        }
        XCTAssertNil(result["tokenizers"])
        XCTAssertEqual(result["peer_note"] as? String, "not run (--no-peer)")
    }

    func testTokenizeBenchmarkRejectsZeroRepetitions() throws {
        let result = try LetheProcess.run(["bench", "tokenize", "--tokenizer", "x.json", "--repetitions", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("--repetitions"), result.standardError)
    }
}
