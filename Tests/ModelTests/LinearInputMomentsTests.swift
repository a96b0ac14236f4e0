import XCTest
@testable import Model

/// The second moments of every linear map's inputs: real tokens only, whatever the batching.
final class LinearInputMomentsTests: XCTestCase {
    private let config = LlamaConfig(vocabSize: 32, hiddenSize: 8, intermediateSize: 12, layerCount: 2, headCount: 2,
                                     keyValueHeadCount: 1, maxPositionEmbeddings: 16, tieWordEmbeddings: false)
    private let sequences = [[1, 5, 7, 9, 3], [2, 4, 6]]

    private func model() -> LlamaModel {
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 7, standardDeviation: 0.3)
        return model
    }

    private func matrices(_ moments: LinearInputMoments) -> [LinearInputMoments.Matrix] {
        moments.attentionInput + moments.attentionOutput + moments.mlpInput + moments.mlpHidden + [moments.headInput]
    }

    func testPaddingIsNotCountedAndTheBatchingDoesNotMatter() throws {
        let model = model()
        var together = LinearInputMoments(config: config), apart = LinearInputMoments(config: config)
        try model.accumulateLinearInputMoments(TokenBatch(sequences: sequences, padToken: 0), into: &together)
        for sequence in sequences {
            try model.accumulateLinearInputMoments(TokenBatch(sequences: [sequence], padToken: 0), into: &apart)
        }
        XCTAssertEqual(together.tokenCount, 8)
        XCTAssertEqual(apart.tokenCount, 8)
        for (a, b) in zip(matrices(together), matrices(apart)) {
            XCTAssertGreaterThan(a.sums.map(abs).max()!, 0.01)
            for (x, y) in zip(a.sums, b.sums) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
        }
    }

    func testTheMomentsAreTheOuterProductsOfTheInputsForwardKeeps() throws {
        let model = model()
        var moments = LinearInputMoments(config: config)
        let batch = try TokenBatch(sequences: [sequences[0]], padToken: 0)
        try model.accumulateLinearInputMoments(batch, into: &moments)
        let a = try XCTUnwrap(model.activations)
        let C = config.hiddenSize
        func expected(_ rows: UnsafeMutablePointer<Float>, width: Int) -> [Float] {
            var sums = [Float](repeating: 0, count: width * width)
            for n in 0..<batch.tokenCount {
                for i in 0..<width { for j in 0..<width { sums[i * width + j] += rows[n * width + i] * rows[n * width + j] } }
            }
            return sums
        }
        for (matrix, rows) in [(moments.headInput, a.finalNorm), (moments.mlpInput[1], a.postNorm[1]),
                               (moments.attentionInput[0], a.inputNorm[0]), (moments.attentionOutput[1], a.attention[1])] {
            for (x, y) in zip(matrix.symmetric, expected(rows, width: C)) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
        }
    }

    func testLayersBelowTheLowestTrainedOneAreLeftOut() throws {
        let model = model()
        let second = model.layout.layers[1]
        model.restrictTraining(to: [second.qkv..<model.layout.finalNorm])
        var moments = LinearInputMoments(config: config)
        try model.accumulateLinearInputMoments(TokenBatch(sequences: sequences, padToken: 0), into: &moments)
        XCTAssertTrue(moments.mlpHidden[0].sums.allSatisfy { $0 == 0 }, "forward keeps no input of a frozen layer")
        XCTAssertTrue(moments.mlpHidden[1].sums.contains { $0 != 0 })
    }
}
