import Foundation
import Model
import XCTest
@testable import Unlearning

/// The update loop's plumbing: determinism, the parameter scope, every objective runs.
final class UnlearningUpdateTests: XCTestCase {
    private typealias Fixture = UnlearningUpdateFixture

    private func updated(_ options: UnlearningOptions, seed: UInt64 = 3) throws -> (before: [Float], after: LlamaModel) {
        let model = Fixture.randomModel(seed: seed)
        let before = Array(model.parameters)
        let update = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0)
        try update.run()
        return (before, model)
    }

    func testSameSeedGivesBitIdenticalParametersAnotherSeedDoesNot() throws {
        let options = UnlearningOptions(retainTerm: .kl, length: .epochs(3), forgetBatchSize: 2, retainBatchSize: 3,
                                        learningRate: 1e-2, warmupSteps: 2, decay: .linear, seed: 5)
        let first = try updated(options).after, second = try updated(options).after
        XCTAssertEqual(Array(first.parameters), Array(second.parameters))
        var reseeded = options
        reseeded.seed = 6
        let third = try updated(reseeded).after
        XCTAssertNotEqual(Array(third.parameters), Array(first.parameters))
    }

    func testFrozenTensorsKeepTheirBytesAndTrainableOnesMove() throws {
        for scope in [ParameterScope.mlp, .layers(1...1), .upperHalf] {
            let options = UnlearningOptions(length: .steps(3), forgetBatchSize: 2, learningRate: 1e-2, weightDecay: 0.1, scope: scope)
            let (before, model) = try updated(options)
            var frozen = 0, trainable = 0
            for tensor in model.layout.tensors {
                let range = tensor.offset..<tensor.offset + tensor.count
                let isTrainable: Bool
                switch scope {
                case .mlp: isTrainable = tensor.name.contains(".mlp.")
                default: isTrainable = tensor.name.hasPrefix("model.layers.1.")
                }
                let moved = zip(before[range], model.parameters[range]).contains { $0.bitPattern != $1.bitPattern }
                XCTAssertEqual(moved, isTrainable, "\(scope): \(tensor.name)")
                if isTrainable { trainable += 1 } else { frozen += 1 }
            }
            XCTAssertGreaterThan(frozen, 0)
            XCTAssertGreaterThan(trainable, 0)
        }
    }

    func testScopeRangesMergeAdjacentTensorsAndRejectMissingLayers() throws {
        let layout = ParameterLayout(config: Fixture.config)
        XCTAssertEqual(try ParameterScope.all.trainableRanges(in: layout, layerCount: 2), [0..<layout.count])
        let first = layout.layers[0], second = layout.layers[1]
        XCTAssertEqual(try ParameterScope.layers(0...0).trainableRanges(in: layout, layerCount: 2), [first.qkv..<second.qkv])
        XCTAssertEqual(try ParameterScope.mlp.trainableRanges(in: layout, layerCount: 2),
                       [first.gateUp..<first.inputNorm, second.gateUp..<second.inputNorm])
        XCTAssertThrowsError(try ParameterScope.layers(1...2).trainableRanges(in: layout, layerCount: 2)) {
            XCTAssertEqual($0 as? UnlearningError, .layersOutsideModel(1...2, layerCount: 2))
        }
    }

    func testAScopeUpdateHoldsGradientsForTheTrainableTensorsOnly() throws {
        let model = Fixture.randomModel()
        let options = UnlearningOptions(length: .steps(1), forgetBatchSize: 2, scope: .upperHalf)
        let update = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0)
        try update.run()
        let second = model.layout.layers[1]
        XCTAssertEqual(update.trainableRanges, [second.qkv..<model.layout.finalNorm])
        XCTAssertEqual(model.gradients.count, model.layout.finalNorm - second.qkv)
        XCTAssertEqual(model.lowestTrainedLayer, 1)
    }

    func testScopesReadAndWriteTheirNames() {
        for scope in [ParameterScope.all, .mlp, .upperHalf, .layers(2...5), .layers(3...3)] {
            XCTAssertEqual(ParameterScope(name: scope.name), scope, scope.name)
        }
        XCTAssertEqual(ParameterScope(name: "layers:4-7"), .layers(4...7))
        for bad in ["", "layers:", "layers:5-2", "layers:-1", "layers:1-2-3", "upper", "layers:a"] {
            XCTAssertNil(ParameterScope(name: bad), bad)
        }
    }

    func testTheRecommendedScopeIsTheFirstOfAllAndMLPThatFitsInHalfTheMemoryElseTheUpperHalf() throws {
        let config = Fixture.config
        let full = try ParameterScope.all.parameterBytes(for: config), mlp = try ParameterScope.mlp.parameterBytes(for: config)
        XCTAssertEqual(full, 20 * ParameterLayout(config: config).count)
        XCTAssertLessThan(mlp, full)
        XCTAssertEqual(ParameterScope.recommended(for: config, memoryBytes: UInt64(2 * full)), .all)
        XCTAssertEqual(ParameterScope.recommended(for: config, memoryBytes: UInt64(2 * full - 2)), .mlp)
        XCTAssertEqual(ParameterScope.recommended(for: config, memoryBytes: UInt64(2 * mlp)), .mlp)
        XCTAssertEqual(ParameterScope.recommended(for: config, memoryBytes: UInt64(2 * mlp - 2)), .upperHalf)
        let llama = LlamaConfig(vocabSize: 128_256, hiddenSize: 2048, intermediateSize: 8192, layerCount: 16, headCount: 32,
                                keyValueHeadCount: 8, headDim: 64, tieWordEmbeddings: true)
        XCTAssertEqual(ParameterScope.recommended(for: llama, memoryBytes: 24 << 30), .upperHalf, "Llama-3.2-1B on 24 GiB")
        let smol = LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30, headCount: 9,
                               keyValueHeadCount: 3, tieWordEmbeddings: true)
        XCTAssertEqual(ParameterScope.recommended(for: smol, memoryBytes: 24 << 30), .all, "SmolLM2-135M on 24 GiB")
    }

    func testTheRecommendedScopeCountsWhatTheRetainProjectionHolds() throws {
        let c = Fixture.config, layout = ParameterLayout(config: c)
        let all = try ParameterScope.all.trainableRanges(in: layout, layerCount: c.layerCount)
        XCTAssertEqual(RetainProjection.heldBytes(for: c, trainable: all), Self.projectionBytes(c, projectsDown: true))
        XCTAssertEqual(try ParameterScope.all.parameterBytes(for: c, retainProjection: true),
                       try ParameterScope.all.parameterBytes(for: c) + RetainProjection.heldBytes(for: c, trainable: all))
        let mlp = try ParameterScope.mlp.trainableRanges(in: layout, layerCount: c.layerCount)
        XCTAssertLessThan(RetainProjection.heldBytes(for: c, trainable: mlp), RetainProjection.heldBytes(for: c, trainable: all))
        // Memory that fits the plain update of every parameter but not its projection too.
        let plain = try ParameterScope.all.parameterBytes(for: c)
        XCTAssertEqual(ParameterScope.recommended(for: c, memoryBytes: UInt64(2 * plain)), .all)
        XCTAssertEqual(ParameterScope.recommended(for: c, retainProjection: true, memoryBytes: UInt64(2 * plain)), .mlp)

        let wide = LlamaConfig(vocabSize: 64, hiddenSize: 8, intermediateSize: RetainProjection.maxWidth + 8, layerCount: 1,
                               headCount: 2, keyValueHeadCount: 1)
        let wideAll = try ParameterScope.all.trainableRanges(in: ParameterLayout(config: wide), layerCount: 1)
        XCTAssertEqual(RetainProjection.heldBytes(for: wide, trainable: wideAll), Self.projectionBytes(wide, projectsDown: false),
                       "a down projection wider than maxWidth passes whole and holds nothing")
    }

    /// What the projection of an update of every parameter holds, counted by hand: per layer the
    /// q/k/v and gate/up inputs are hidden-wide, the attention output's heads × headDim, the down
    /// projection's intermediate; then the head. Each matrix holds a width² projector and its
    /// weights before the step; so do the norm weights, which it freezes.
    private static func projectionBytes(_ c: LlamaConfig, projectsDown: Bool) -> Int {
        let h = c.hiddenSize, i = c.intermediateSize, attention = c.headCount * c.headDim
        let qkvRows = (c.headCount + 2 * c.keyValueHeadCount) * c.headDim
        let down: (projector: Int, weights: Int) = projectsDown ? (i * i, h * i) : (0, 0)
        let projectors = c.layerCount * (2 * h * h + attention * attention + down.projector) + h * h
        let weights = c.layerCount * ((qkvRows + 2 * i) * h + h * attention + down.weights) + c.vocabSize * h
        let norms = ParameterLayout(config: c).tensors.filter(\.isNormWeight).reduce(0) { $0 + $1.count }
        return 4 * (projectors + weights + norms)
    }

    func testEveryBaselineRunsAndMovesTheWeights() throws {
        let objectives: [UnlearningOptions.Objective] = [.gradAscent, .gradDiff(alpha: 1), .npo(NPO()), .simnpo(SimNPO())]
        for objective in objectives {
            var reports: [UnlearningProgress] = []
            let model = Fixture.randomModel()
            let before = Array(model.parameters)
            let options = UnlearningOptions(objective: objective, length: .steps(2), forgetBatchSize: 2, learningRate: 1e-3)
            let update = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0)
            try update.run { reports.append($0) }
            XCTAssertEqual(reports.map(\.step), [1, 2], "\(objective)")
            XCTAssertTrue(reports.allSatisfy { $0.forgetLoss.isFinite && $0.loss.isFinite }, "\(objective)")
            XCTAssertEqual(reports.allSatisfy { $0.retainLoss > 0 }, objective != .gradAscent, "\(objective)")
            XCTAssertNotEqual(Array(model.parameters), before, "\(objective)")
        }
    }

    func testEarlyStopIsAskedAfterEachEpochButTheLast() throws {
        let model = Fixture.randomModel()
        let options = UnlearningOptions(length: .epochs(4), forgetBatchSize: 2, learningRate: 1e-3)
        let update = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0)
        var asked: [Int] = []
        try update.run(shouldStop: { asked.append($0.step); return $0.epochsDone == 2 })
        XCTAssertEqual(asked, [2, 4])
        XCTAssertEqual(update.step, 4)
        XCTAssertEqual(update.totalSteps, 8)
    }

    func testItemsLeaveTheBatchesAtTheForgetTargetAndTheUpdateEndsWhenAllHave() throws {
        let model = Fixture.randomModel()
        let options = UnlearningOptions(objective: .gradAscent, length: .epochs(200), forgetBatchSize: 2, learningRate: 1e-2, forgetTarget: 0.5)
        let update = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0)
        var trained: [Int] = []
        try update.run(progress: { _ in trained.append(Fixture.forget.count - update.atTarget.count) })
        XCTAssertEqual(update.atTarget.count, Fixture.forget.count, "every item reached half its p̄")
        XCTAssertLessThan(update.step, update.totalSteps, "and the update ended there")
        XCTAssertLessThan(trained.min() ?? 0, Fixture.forget.count, "epochs ran with items at the target left out")
        let measured = try ReferenceExamples(model: model, batching: update.forget, contents: .sequenceLogProbabilities, padToken: 0)
            .answerProbabilities(endTokens: [])
        let base = try ReferenceExamples(model: Fixture.randomModel(), batching: update.forget, contents: .sequenceLogProbabilities,
                                         padToken: 0).answerProbabilities(endTokens: [])
        for (now, before) in zip(measured, base) { XCTAssertLessThanOrEqual(now, 0.5 * before * (1 + 1e-6)) }

        // Under the moved model, every item is already at the target against the base: a replay trains nothing.
        let replayed = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0,
                                            base: Fixture.randomModel())
        let before = Array(model.parameters)
        try replayed.run()
        XCTAssertEqual(replayed.step, 0)
        XCTAssertEqual(Array(model.parameters), before)
        // Without a base, the parent is the reference: every item trains again.
        let fresh = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain,
                                         options: { var o = options; o.length = .steps(1); return o }(), padToken: 0)
        try fresh.run()
        XCTAssertEqual(fresh.step, 1)
        XCTAssertThrowsError(try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain,
                                                  options: { var o = options; o.forgetTarget = 1; return o }(), padToken: 0)) {
            XCTAssertEqual($0 as? UnlearningError, .invalidOption(name: "forgetTarget", value: 1))
        }
    }

    /// DiPO's loss is log 2 where the model is its reference. With a base version the reference
    /// is the base's, so a parent that differs from it starts elsewhere; without one, or with a
    /// base that equals the parent, it starts at log 2.
    func testTheObjectivesReferenceIsTheBaseVersionWhenThereIsOne() throws {
        func firstForgetLoss(base: LlamaModel?) throws -> Float {
            let options = UnlearningOptions(length: .steps(1), forgetBatchSize: 4, learningRate: 1e-2)
            let update = try UnlearningUpdate(model: Fixture.randomModel(seed: 3), forget: Fixture.forget, retain: Fixture.retain,
                                              options: options, padToken: 0, base: base)
            var loss: Float = .nan
            try update.run(progress: { loss = $0.forgetLoss })
            return loss
        }
        XCTAssertEqual(try firstForgetLoss(base: nil), Float(log(2.0)), accuracy: 1e-5)
        XCTAssertEqual(try firstForgetLoss(base: Fixture.randomModel(seed: 3)), Float(log(2.0)), accuracy: 1e-5)
        XCTAssertGreaterThan(abs(try firstForgetLoss(base: Fixture.randomModel(seed: 4)) - Float(log(2.0))), 1e-3)
    }

    func testInvalidSettingsAreRejectedByName() {
        let model = Fixture.randomModel()
        XCTAssertThrowsError(try UnlearningUpdate(model: model, forget: Fixture.forget, retain: [],
                                                  options: UnlearningOptions(), padToken: 0)) {
            XCTAssertEqual($0 as? UnlearningError, .noRetainExamples)
        }
        XCTAssertThrowsError(try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain,
                                                  options: UnlearningOptions(forgetBatchSize: 0), padToken: 0)) {
            XCTAssertEqual($0 as? UnlearningError, .invalidOption(name: "forgetBatchSize", value: 0))
        }
        XCTAssertThrowsError(try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain,
                                                  options: UnlearningOptions(objective: .gradDiff(alpha: -1)), padToken: 0)) {
            XCTAssertEqual($0 as? UnlearningError, .invalidOption(name: "alpha", value: -1))
        }
        // Gradient ascent needs no retain examples.
        XCTAssertNoThrow(try UnlearningUpdate(model: model, forget: Fixture.forget, retain: [],
                                              options: UnlearningOptions(objective: .gradAscent), padToken: 0))
    }

    func testOptionsRoundTripThroughJSON() throws {
        let options = UnlearningOptions(objective: .dipo(DiPO(highConfidence: .topK, k: 2, gamma: 3, beta: 0.5, source: .policy)),
                                        retainTerm: .kl, length: .steps(7), scope: .layers(0...1))
        XCTAssertEqual(try JSONDecoder().decode(UnlearningOptions.self, from: JSONEncoder().encode(options)), options)
        let gradDiff = UnlearningOptions(objective: .gradDiff(alpha: 0.5), scope: .mlp)
        XCTAssertEqual(try JSONDecoder().decode(UnlearningOptions.self, from: JSONEncoder().encode(gradDiff)), gradDiff)
    }
}
