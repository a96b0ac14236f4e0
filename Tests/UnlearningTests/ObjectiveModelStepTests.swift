import Foundation
import Kernels
import Model
import XCTest
@testable import Unlearning

/// DiPO through a real (tiny, randomly initialised) Llama: the reference cache from the model
/// itself before the update, one AdamW step, and the margin loss drops below log 2.
final class ObjectiveModelStepTests: XCTestCase {
    func testOneAdamWStepWithDiPOLowersTheMarginLoss() throws {
        let config = LlamaConfig(vocabSize: 32, hiddenSize: 16, intermediateSize: 32, layerCount: 2, headCount: 2,
                                 keyValueHeadCount: 1, maxPositionEmbeddings: 16, tieWordEmbeddings: true)
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 8, standardDeviation: 0.2)
        let batch = try mixedBatch()
        let reference = try ReferenceCache(model: model, batch: batch, contents: .distributions)
        let head = DiPO()
        let optimizer = AdamW(parameterCount: model.layout.count, configuration: AdamWConfiguration(learningRate: 1e-3))

        model.zeroGradients()
        try model.forward(batch)
        let before = try head.lossAndGradient(logits: model.logits, batch: batch, reference: reference, scale: 1)
        XCTAssertEqual(Double(before), log(2), accuracy: 1e-6, "θ = ref")
        model.backward()
        XCTAssertGreaterThan(sumOfSquares(model.gradients.baseAddress!, count: model.layout.count), 0)
        optimizer.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients))

        try model.forward(batch)
        let after = try head.lossAndGradient(logits: model.logits, batch: batch, reference: reference, scale: 1)
        XCTAssertLessThan(after, before - 1e-3, "one step lowers −log σ(βΔ): the margins grow")
    }
}
