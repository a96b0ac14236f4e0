import Foundation
import Model
@testable import Unlearning

/// A tiny random Llama and question/answer examples whose answers depend on the question:
/// the first four are forgotten, the last four retained.
enum UnlearningUpdateFixture {
    static let config = LlamaConfig(vocabSize: 32, hiddenSize: 16, intermediateSize: 32, layerCount: 2, headCount: 2,
                                    keyValueHeadCount: 1, maxPositionEmbeddings: 32, tieWordEmbeddings: false)

    static let examples: [SupervisedExample] = (0..<8).map { i in
        SupervisedExample(prompt: [1, 2 + i], completion: [12 + i, 20 + (i * 5) % 11, 12 + (i * 3) % 8, 3])
    }
    static var forget: [SupervisedExample] { Array(examples.prefix(4)) }
    static var retain: [SupervisedExample] { Array(examples.suffix(4)) }

    static func randomModel(seed: UInt64 = 3) -> LlamaModel {
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: seed, standardDeviation: 0.1)
        return model
    }

    /// Mean answer-token NLL of `examples` under `model`.
    static func meanNLL(_ model: LlamaModel, _ examples: [SupervisedExample]) throws -> Float {
        try model.forward(TokenBatch(examples: examples, length: examples.map(\.tokenCount).max()!, padToken: 0))
        return model.crossEntropyLoss()
    }
}
