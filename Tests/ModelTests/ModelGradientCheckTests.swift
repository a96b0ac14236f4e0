import Kernels
import Model
import XCTest

/// The whole model's backward against central finite differences, tensor by tensor,
/// on a tiny GQA config with padding and sequences of different lengths.
final class ModelGradientCheckTests: XCTestCase {
    func testEveryTensorGradientMatchesFiniteDifferences() throws {
        for tied in [true, false] {
            let model = try GradientCheckModel.make(tied: tied)
            var generator = SeededGenerator(seed: 4)
            let batch = try TokenBatch(sequences: [[1, 5, 7, 2, 9, 11], [1, 3, 12], [4, 4, 8, 6]])

            func loss() throws -> Double {
                try model.forward(batch)
                return Double(model.crossEntropyLoss())
            }
            _ = try loss()
            model.zeroGradients()
            model.backwardCrossEntropy()
            let analytic = Array(model.gradients)

            // A random direction within one tensor: compare g·u with (L(θ+hu) − L(θ−hu)) / 2h.
            for tensor in model.layout.tensors {
                var direction = (0..<tensor.count).map { _ in generator.nextGaussian() }
                let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
                direction = direction.map { $0 / norm }
                let h: Float = 5e-3
                func shift(by factor: Float) {
                    for i in 0..<tensor.count { model.parameters[tensor.offset + i] += factor * direction[i] }
                }
                shift(by: h)
                let plus = try loss()
                shift(by: -2 * h)
                let minus = try loss()
                shift(by: h)
                let numeric = (plus - minus) / Double(2 * h)
                var predicted: Double = 0
                for i in 0..<tensor.count { predicted += Double(analytic[tensor.offset + i]) * Double(direction[i]) }
                // The floor of 1e-2 absorbs the Float32 rounding of the loss (about 3e-5 here).
                let error = abs(numeric - predicted) / (max(abs(numeric), abs(predicted)) + 1e-2)
                XCTAssertLessThan(error, 1e-2, "tied=\(tied) \(tensor.name): analytic \(predicted), numeric \(numeric)")
            }
        }
    }

    func testGradientsAccumulateAcrossMicroBatches() throws {
        let config = LlamaConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 8, layerCount: 1,
                                 headCount: 2, keyValueHeadCount: 1, tieWordEmbeddings: true)
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 1, standardDeviation: 0.3)
        let batch = try TokenBatch(sequences: [[1, 2, 3, 4]])
        model.zeroGradients()
        try model.forward(batch)
        model.crossEntropyLoss()
        model.backwardCrossEntropy()
        let once = Array(model.gradients)
        try model.forward(batch)
        model.crossEntropyLoss()
        model.backwardCrossEntropy()
        for (twice, single) in zip(model.gradients, once) { XCTAssertEqual(twice, 2 * single, accuracy: 1e-6) }
    }

    func testClippingScalesToTheMaximumNorm() throws {
        let config = LlamaConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 8, layerCount: 1,
                                 headCount: 2, keyValueHeadCount: 2)
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 2, standardDeviation: 0.5)
        model.zeroGradients()
        try model.forward(try TokenBatch(sequences: [[1, 2, 3, 4, 5]]))
        model.crossEntropyLoss()
        model.backwardCrossEntropy()
        let before = model.gradientNorm
        XCTAssertGreaterThan(before, 0.1)
        XCTAssertEqual(model.clipGradients(maxNorm: 0.1), before, accuracy: 1e-6)
        XCTAssertEqual(model.gradientNorm, 0.1, accuracy: 1e-4)
        XCTAssertEqual(model.clipGradients(maxNorm: 10), model.gradientNorm)  // below the maximum: untouched
    }
}

final class GradientZeroingTests: XCTestCase {
    /// zeroGradients() is lazy: the next backward overwrites instead of adding. The result
    /// must equal a first backward's, for tied embeddings (lm_head and embedding share a
    /// gradient) and untied ones (the embedding's gradient is only a scatter-add).
    func testBackwardAfterZeroingEqualsAFreshBackward() throws {
        for tied in [true, false] {
            let config = LlamaConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 8, layerCount: 2,
                                     headCount: 2, keyValueHeadCount: 1, tieWordEmbeddings: tied)
            let model = LlamaModel(config: config)
            model.initializeRandomly(seed: 5, standardDeviation: 0.4)
            let first = try TokenBatch(sequences: [[1, 2, 3, 4], [5, 6]])
            let second = try TokenBatch(sequences: [[7, 8, 9, 10, 3]])
            for batch in [first, second] {
                try model.forward(batch)
                model.crossEntropyLoss()
                model.backwardCrossEntropy()
            }
            model.zeroGradients()
            XCTAssertTrue(model.gradients.allSatisfy { $0 == 0 }, "tied=\(tied): zeroed gradients read as zero")
            try model.forward(second)
            model.crossEntropyLoss()
            model.backwardCrossEntropy()
            let afterZeroing = Array(model.gradients)

            let fresh = LlamaModel(config: config)
            fresh.initializeRandomly(seed: 5, standardDeviation: 0.4)
            try fresh.forward(second)
            fresh.crossEntropyLoss()
            fresh.backwardCrossEntropy()
            XCTAssertEqual(afterZeroing, Array(fresh.gradients), "tied=\(tied)")

            model.zeroGradients()  // pending zero, then a backward that overwrites: no stale values
            try model.forward(second)
            model.crossEntropyLoss()
            model.backwardCrossEntropy()
            XCTAssertEqual(Array(model.gradients), afterZeroing, "tied=\(tied): second overwrite")
        }
    }
}
