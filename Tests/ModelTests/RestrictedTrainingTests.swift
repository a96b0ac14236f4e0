import Kernels
import Model
import XCTest

/// Backward over a restricted set of trainable parameters: the same gradients for what trains
/// as with every parameter training, no gradient memory for the rest.
final class RestrictedTrainingTests: XCTestCase {
    private func range(_ tensor: ParameterLayout.Tensor) -> Range<Int> { tensor.offset..<tensor.offset + tensor.count }

    /// Two micro-batches' gradients (the second accumulating), as a training step makes them.
    private func accumulateGradients(_ model: LlamaModel) throws {
        model.zeroGradients()
        for batch in [try TokenBatch(sequences: [[1, 5, 7, 2, 9, 11], [1, 3, 12]]), try TokenBatch(sequences: [[4, 4, 8, 6]])] {
            try model.forward(batch)
            model.crossEntropyLoss()
            model.backwardCrossEntropy()
        }
    }

    func testTrainedTensorsGetTheGradientsOfFullTrainingAndFrozenOnesNoMemory() throws {
        for (tied, biases) in [(true, false), (false, false), (true, true)] {
            let reference = try GradientCheckModel.make(tied: tied, layers: 3, attentionBias: biases)
            try accumulateGradients(reference)
            let layout = reference.layout
            let scopes: [(String, (ParameterLayout.Tensor) -> Bool)] = [
                ("upper layers", { $0.name.hasPrefix("model.layers.1.") || $0.name.hasPrefix("model.layers.2.") }),
                ("top layer", { $0.name.hasPrefix("model.layers.2.") }),
                ("mlp", { $0.name.contains(".mlp.") }),
                ("norms, biases and head", { $0.shape.count == 1 || $0.name == "lm_head.weight" }),
                ("embedding and top layer", { $0.name == "model.embed_tokens.weight" || $0.name.hasPrefix("model.layers.2.") }),
            ]
            for (name, trains) in scopes {
                let restricted = try GradientCheckModel.make(tied: tied, layers: 3, attentionBias: biases)
                let trained = layout.tensors.filter(trains)
                restricted.restrictTraining(to: trained.map(range))
                try accumulateGradients(restricted)
                XCTAssertEqual(restricted.gradients.count, trained.reduce(0) { $0 + $1.count }, "tied=\(tied) biases=\(biases) \(name)")
                for tensor in layout.tensors {
                    guard let gradient = restricted.gradients(of: range(tensor)) else {
                        XCTAssertFalse(trains(tensor), "tied=\(tied) biases=\(biases) \(name): \(tensor.name) trains but has no gradient")
                        continue
                    }
                    XCTAssertTrue(trains(tensor), "tied=\(tied) biases=\(biases) \(name): \(tensor.name) is frozen but has a gradient")
                    let expected = reference.gradients[range(tensor)]
                    let scale = expected.reduce(0) { max($0, abs($1)) } + 1e-6
                    for (actual, wanted) in zip(gradient, expected) {
                        XCTAssertEqual(actual, wanted, accuracy: 1e-5 * scale, "tied=\(tied) biases=\(biases) \(name): \(tensor.name)")
                    }
                }
            }
        }
    }

    func testBackwardStopsAtTheLowestTrainedLayerAndLayersBelowKeepNoActivations() throws {
        let model = try GradientCheckModel.make(tied: true, layers: 4)
        let batch = try TokenBatch(sequences: [[1, 5, 7, 2, 9, 11], [1, 3, 12]])
        try model.forward(batch)
        let everyLayerKept = model.activationByteCount
        XCTAssertEqual(model.lowestTrainedLayer, -1, "everything trains: down to the embedding")
        let layer = { (l: Int) in model.layout.tensors.filter { $0.name.hasPrefix("model.layers.\(l).") }.map(self.range) }
        model.restrictTraining(to: layer(2) + layer(3))
        XCTAssertEqual(model.lowestTrainedLayer, 2)
        XCTAssertEqual(model.activationByteCount, 0, "plans are dropped when what trains changes")
        try model.forward(batch)
        let twoLayersKept = model.activationByteCount
        XCTAssertLessThan(twoLayersKept, everyLayerKept, "layers 0 and 1 share one set of buffers besides their residual stream")
        model.restrictTraining(to: layer(3))
        try model.forward(batch)
        XCTAssertLessThan(model.activationByteCount, twoLayersKept)
        model.restrictTraining(to: [range(model.layout.tensor(named: "model.norm.weight")!)])
        XCTAssertEqual(model.lowestTrainedLayer, 4, "no layer trains")
        model.restrictTraining(to: [0..<model.layout.count])
        XCTAssertEqual(model.lowestTrainedLayer, -1)
        XCTAssertEqual(model.gradients.count, model.layout.count, "every parameter trains again: the gradients mirror the parameters")
    }

    func testAGradientMapMergesAdjacentRangesAndPlacesThemBackToBack() {
        let map = GradientMap(ranges: [2..<5, 5..<7, 10..<12], parameterCount: 20)
        XCTAssertEqual(map.ranges, [2..<7, 10..<12])
        XCTAssertEqual(map.count, 7)
        XCTAssertEqual(map.gradientOffset(of: 3..<5), 1)
        XCTAssertEqual(map.gradientOffset(of: 10..<12), 5)
        XCTAssertNil(map.gradientOffset(of: 7..<10))
        XCTAssertTrue(map.trainsAny(of: 0..<3))
        XCTAssertFalse(map.trainsAny(of: 12..<20))
    }
}
