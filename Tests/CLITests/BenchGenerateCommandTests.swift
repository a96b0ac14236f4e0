import Foundation
import XCTest

/// `lethe bench generate` through the real executable: the keys scripts read, with sane
/// values. No timing is asserted: speed is what the command reports, not what a test checks.
final class BenchGenerateCommandTests: XCTestCase {
    func testQuickGenerationBenchmarkReportsTheDocumentedKeys() throws {
        let result = try LetheProcess.json(["bench", "generate", "--quick", "--json", "--threads", "1"])
        for key in ["prefill_short_ms", "prefill_long_ms", "decode_short_ms_per_token", "decode_long_ms_per_token",
                    "sampling_extra_ms_per_token", "one_by_one_tokens_per_second", "batched_tokens_per_second"] {
            let value = try XCTUnwrap(result[key] as? Double, key)
            XCTAssertTrue(value.isFinite, key)
            XCTAssertGreaterThan(value, 0, key)
        }
        for key in ["parameters", "repetitions", "short_prompt_tokens", "long_prompt_tokens", "decoded_tokens", "batch_prompts"] {
            XCTAssertGreaterThan(try XCTUnwrap(result[key] as? Int, key), 0, key)
        }
        XCTAssertLessThan(try XCTUnwrap(result["short_prompt_tokens"] as? Int), try XCTUnwrap(result["long_prompt_tokens"] as? Int))
        XCTAssertEqual(result["threads"] as? Int, 1)
        XCTAssertEqual(result["model"] as? String, "random")
        XCTAssertFalse(try XCTUnwrap(result["blas_core"] as? String).isEmpty)
    }

    func testGenerationBenchmarkRejectsANonPositiveThreadCount() throws {
        let result = try LetheProcess.run(["bench", "generate", "--quick", "--threads", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("--threads"), result.standardError)
    }
}
