import Foundation
import Model
import XCTest

/// The model against Hugging Face `LlamaForCausalLM` on committed fixtures: MHA and GQA,
/// tied and untied embeddings, two rope_theta values, an explicit head_dim, padding; and
/// against `MistralForCausalLM` (sliding window), `Qwen2ForCausalLM` (q/k/v biases), and
/// Llama with attention_bias and llama3, linear and dynamic rope scaling.
final class LlamaParityTests: XCTestCase {
    func testLogitsLossAndEveryGradientMatchTransformers() throws {
        for name in Fixtures.modelNames {
            let model = try ModelFolder.load(Fixtures.llamaFolder(name))
            let reference = try Fixtures.reference(name)
            let batch = try Fixtures.batch(name)

            try model.forward(batch)
            let expectedLogits = try reference.floats("logits")
            XCTAssertEqual(model.logits.count, expectedLogits.count, name)
            var maxError: Float = 0
            for i in 0..<expectedLogits.count { maxError = max(maxError, abs(model.logits[i] - expectedLogits[i])) }
            XCTAssertLessThanOrEqual(maxError, 1e-4, "\(name): logits max abs error")

            let loss = model.crossEntropyLoss()
            XCTAssertEqual(loss, try reference.floats("loss")[0], accuracy: 1e-5, "\(name): loss")

            model.zeroGradients()
            model.backwardCrossEntropy()
            for tensor in model.layout.tensors {
                let expected = try reference.floats("grad." + tensor.name)
                let actual = UnsafeBufferPointer(rebasing: model.gradients[tensor.offset..<tensor.offset + tensor.count])
                XCTAssertLessThanOrEqual(relativeL2Error(actual, expected), 1e-4, "\(name): gradient of \(tensor.name)")
            }
        }
    }

    func testConfigsOfTransformers5AreRead() throws {
        let untied = try LlamaConfig(contentsOf: Fixtures.llamaFolder("gqa_untied").appendingPathComponent("config.json"))
        XCTAssertEqual(untied.ropeTheta, 500000)
        XCTAssertEqual(untied.keyValueHeadCount, 2)
        XCTAssertFalse(untied.tieWordEmbeddings)
        let headDim = try LlamaConfig(contentsOf: Fixtures.llamaFolder("gqa_headdim").appendingPathComponent("config.json"))
        XCTAssertEqual(headDim.headDim, 16)
        XCTAssertNotEqual(headDim.headDim, headDim.hiddenSize / headDim.headCount)
    }

    func testWrittenFolderLoadsBackBitIdenticalWithUnknownConfigFieldsKept() throws {
        let original = try ModelFolder.load(Fixtures.llamaFolder("gqa_untied"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-folder-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ModelFolder.write(original, to: folder)
        let reloaded = try ModelFolder.load(folder)
        XCTAssertEqual(reloaded.config, original.config)
        XCTAssertEqual(reloaded.config.fields["transformers_version"], .string("5.24.0"))
        XCTAssertTrue(zip(original.parameters, reloaded.parameters).allSatisfy { $0.bitPattern == $1.bitPattern })
    }
}
