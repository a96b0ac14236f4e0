import Foundation
import Model
import XCTest

/// The cached path against the full forward pass and against transformers' greedy
/// `generate` (Tests/Fixtures/make_generation_fixtures.py) on the committed fixture models:
/// MHA and GQA, tied and untied embeddings, an explicit head_dim.
final class GenerationParityTests: XCTestCase {
    struct GreedyFixture: Decodable {
        struct Case: Decodable {
            let model: String
            let prompt: [Int]
            let tokens: [Int]
            let min_margin: Double
        }
        let max_new_tokens: Int
        let min_margin_required: Double
        let cases: [Case]
    }

    func testGreedyGenerationMatchesTransformersTokenForToken() throws {
        let url = Fixtures.root.appendingPathComponent("generation/greedy.json")
        let fixture = try JSONDecoder().decode(GreedyFixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.max_new_tokens, 40)
        XCTAssertEqual(Set(fixture.cases.map(\.model)), Set(Fixtures.llamaNames))
        for name in Fixtures.llamaNames {
            let session = try InferenceSession(model: try ModelFolder.load(Fixtures.llamaFolder(name)))
            for reference in fixture.cases where reference.model == name {
                // Not a near-tie: a top-1/top-2 gap of 1e-3 is ~100× the float32 noise of the logits.
                XCTAssertGreaterThanOrEqual(reference.min_margin, fixture.min_margin_required)
                let tokens = try session.greedyContinuation(prompt: reference.prompt, maxNewTokens: fixture.max_new_tokens)
                XCTAssertEqual(tokens, reference.tokens, "\(name), prompt of \(reference.prompt.count) tokens")
            }
        }
    }

    /// Prefill of each prefix, token by token, and prefill then single tokens all give the
    /// full forward pass's logits at every position: for the Llama fixtures and for the
    /// families' (biases, a sliding window of 3 keys, scaled rope; dynamic_rope's session
    /// holds its 6 positions, within which dynamic scaling leaves the frequencies alone).
    func testCachedLogitsEqualFullForwardAtEveryPosition() throws {
        for name in Fixtures.modelNames {
            let model = try ModelFolder.load(Fixtures.llamaFolder(name))
            var generator = SeededGenerator(seed: 71)
            let length = min(30, model.config.maxPositionEmbeddings)
            let sequence = [1] + (1..<length).map { _ in Int.random(in: 3..<model.config.vocabSize, using: &generator) }
            try assertCachedLogitsMatchForward(model, sequence, prefixLengths: Array(1...sequence.count), name)
        }
    }

    /// A prompt longer than one prefill chunk runs in several chunks with the same result,
    /// with and without a sliding window (which then reaches back into the previous chunk).
    func testPrefillAcrossChunksEqualsFullForward() throws {
        let config = LlamaConfig(vocabSize: 128, hiddenSize: 32, intermediateSize: 48, layerCount: 2, headCount: 4,
                                 keyValueHeadCount: 2, maxPositionEmbeddings: 256)
        var windowed = config.jsonObject
        windowed["model_type"] = .string("mistral")
        windowed["sliding_window"] = .number(10)
        for config in [config, try LlamaConfig(fields: windowed)] {
            let model = LlamaModel(config: config)
            model.initializeRandomly(seed: 72, standardDeviation: 0.15)
            var generator = SeededGenerator(seed: 73)
            let sequence = (0..<150).map { _ in Int.random(in: 0..<128, using: &generator) }
            let chunk = InferenceSession.prefillChunk
            try assertCachedLogitsMatchForward(model, sequence, prefixLengths: [1, chunk - 1, chunk, chunk + 1, 2 * chunk + 1, 150],
                                               "random, prefill chunk \(chunk), window \(config.slidingWindow.map(String.init) ?? "none")")
        }
    }

    private func assertCachedLogitsMatchForward(
        _ model: LlamaModel, _ sequence: [Int], prefixLengths: [Int], _ name: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let V = model.config.vocabSize
        try model.forward(try TokenBatch(sequences: [sequence]))
        let full = Array(model.logits)
        func assertRow(_ logits: UnsafeBufferPointer<Float>, position t: Int, _ how: String) {
            var worst: Float = 0
            for v in 0..<V { worst = max(worst, abs(logits[v] - full[t * V + v])) }
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(name): \(how), position \(t)", file: file, line: line)
        }
        let session = try InferenceSession(model: model)
        for t in sequence.indices {
            assertRow(try session.append(token: sequence[t]), position: t, "token by token")
        }
        for length in prefixLengths {
            session.reset()
            assertRow(try session.append(tokens: Array(sequence[..<length])), position: length - 1, "prefill")
            // Then the rest one token at a time on top of the prefilled cache.
            for t in length..<min(length + 3, sequence.count) {
                assertRow(try session.append(token: sequence[t]), position: t, "prefill of \(length), then tokens")
            }
        }
    }
}
