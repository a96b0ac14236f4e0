import Foundation
import Model

/// One unlearning update of a model: the objective on the forget examples, each forget batch
/// paired with a retain batch that holds the rest of the model in place, AdamW over the
/// trainable scope. The loop reads top to bottom: forget batch, forward, objective, backward;
/// retain batch, forward, retain term, backward (adding to the gradients); clip, step; with a
/// retain projection, the step kept out of the retain examples' directions.
/// For a seed it is deterministic: on one machine, the same parameters bit for bit.
public final class UnlearningUpdate {
    /// Holds the parent version's weights when the update is made, the updated ones after `run`.
    public let model: LlamaModel
    public let options: UnlearningOptions
    public let forget: ExampleBatching
    /// Nil when the objective has no retain term (gradient ascent).
    public let retain: ExampleBatching?
    public let padToken: Int
    public let schedule: LearningRateSchedule
    let optimizer: ScopedAdamW
    /// The reference data per forget (and, for the KL retain term, retain) example, by example
    /// index, measured under the base version when there is one, else the parent; nil when the
    /// head reads none.
    private let forgetReference: ReferenceExamples?
    private let retainReference: ReferenceExamples?
    /// With a forget target: p̄ of each forget example under the base version, by example index.
    private let baseProbabilities: [Double]?
    /// The model's end-of-sequence tokens, which an answer's p̄ leaves out.
    private let endTokens: Set<Int>
    /// With a change grid: the parent's weights of each trainable stretch, which the grid is laid around.
    private let parentWeights: [[Float]]?
    private let epochLimit: Int
    private let projection: RetainProjection?
    /// Steps done so far.
    public private(set) var step = 0
    /// Passes over the forget examples still training, completed so far.
    public private(set) var epochsDone = 0
    /// With a change grid, once the run ended: the bits of each trained tensor's quantum, by tensor name.
    public private(set) var changeGridBits: [String: Int] = [:]
    /// The forget examples (by index) at the forget target when the last epoch began, which it did not train.
    public private(set) var atTarget = Set<Int>()
    /// The batches of the epoch under way and how many of them are done.
    private var epochBatches: [[Int]] = []
    private var batchesDone = 0

    /// Prepares the update of `model`, which must hold the parent version's weights: the
    /// reference data the objective needs is computed here, before any step, under the parent
    /// when there is no `base`. `base`, when the parent is a later version than the base: the
    /// model the objective's reference (DiPO's preferred and dispreferred distributions, NPO's
    /// ratio), the forget target's p̄ and the KL retain term's distributions are measured under,
    /// so that every successive update holds the model to the base version rather than to its
    /// own drifted parent. A parent's
    /// reference made successive updates compound each other: where an earlier version had
    /// weakened a token that spells a shared word ("il" after "fam" in "family"), DiPO found it
    /// uncertain and pushed it down further, for every author (docs/dipo.md, "The base version as
    /// DiPO's reference").
    public init(model: LlamaModel, forget forgetExamples: [SupervisedExample], retain retainExamples: [SupervisedExample],
                options: UnlearningOptions, padToken: Int, base: LlamaModel? = nil) throws {
        try options.validate()
        guard !forgetExamples.isEmpty else { throw UnlearningError.noForgetExamples }
        self.model = model
        self.options = options
        self.padToken = padToken
        let reference = base ?? model
        let forget = ExampleBatching(examples: forgetExamples, batchSize: options.forgetBatchSize, seed: options.seed)
        self.forget = forget
        if let retainHead = options.retainHead {
            guard !retainExamples.isEmpty else { throw UnlearningError.noRetainExamples }
            // Another seed than the forget order's, so the pairing is not tied to it.
            let retain = ExampleBatching(examples: retainExamples, batchSize: options.retainBatchSize,
                                         seed: options.seed ^ 0x5245_5441_494E)
            self.retain = retain
            retainReference = try retainHead.head.referenceContents.map {
                try ReferenceExamples(model: reference, batching: retain, contents: $0, padToken: padToken)
            }
        } else {
            retain = nil
            retainReference = nil
        }
        let forgetReference = try options.forgetHead.referenceContents.map {
            try ReferenceExamples(model: reference, batching: forget, contents: $0, padToken: padToken)
        }
        self.forgetReference = forgetReference
        let endTokens = Set(model.config.eosTokenIDs)
        self.endTokens = endTokens
        // The objective's reference ran the same model over the same batches: its p̄ are these.
        baseProbabilities = try options.forgetTarget.map { _ in
            try (forgetReference ?? ReferenceExamples(model: reference, batching: forget, contents: .sequenceLogProbabilities,
                                                      padToken: padToken))
                .answerProbabilities(endTokens: endTokens)
        }
        let totalSteps: Int
        switch options.length {
        case .epochs(let epochs): (totalSteps, epochLimit) = (epochs * forget.batchesPerEpoch, epochs)
        case .steps(let steps): (totalSteps, epochLimit) = (steps, .max)
        }
        schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps, totalSteps: totalSteps,
                                        decay: options.decay)
        let ranges = try options.scope.trainableRanges(in: model.layout, layerCount: model.config.layerCount)
        optimizer = ScopedAdamW(model: model, ranges: ranges,
                                configuration: AdamWConfiguration(learningRate: options.learningRate, weightDecay: options.weightDecay))
        parentWeights = options.changeGrid != nil || options.changeDensity != nil ? ranges.map { Array(model.parameters[$0]) } : nil
        projection = try options.retainProjection.map { strength in
            try RetainProjection(model: model, retainExamples: retainExamples, padToken: padToken, strength: strength, trainable: ranges)
        }
    }

    /// The most steps the update runs: fewer when items reach the forget target.
    public var totalSteps: Int { schedule.totalSteps }
    /// Steps per pass over all the forget examples.
    public var stepsPerEpoch: Int { forget.batchesPerEpoch }
    /// The trainable stretches of the flat parameter buffer.
    public var trainableRanges: [Range<Int>] { optimizer.ranges }
    /// Bytes of the reference data kept for the whole update.
    public var referenceByteCount: Int {
        [forgetReference, retainReference].reduce(0) { $0 + ($1?.examples.reduce(0) { $0 + $1.byteCount } ?? 0) }
    }

    /// Runs to `totalSteps` (or the epochs' end, or until every item reached the forget target),
    /// reporting after every step (an error thrown by `progress` ends the run there, e.g. a
    /// daemon shutting down); after each complete epoch but the last, stops early when
    /// `shouldStop` says so.
    public func run(progress: (UnlearningProgress) throws -> Void = { _ in },
                    shouldStop: (UnlearningUpdate) throws -> Bool = { _ in false }) throws {
        let forgetHead = options.forgetHead, retainHead = options.retainHead
        let clock = ContinuousClock(), start = clock.now, firstStep = step
        var tokens = 0
        var retainBatches: (epoch: Int, batches: [[Int]])? = nil
        while step < totalSteps && epochsDone < epochLimit {
            if batchesDone == epochBatches.count {
                epochBatches = forget.batches(epoch: epochsDone, among: try trainingItems())
                batchesDone = 0
                if epochBatches.isEmpty { break }
            }
            let forgetIndices = epochBatches[batchesDone]
            let forgetBatch = try forget.tokenBatch(forgetIndices, padToken: padToken)

            model.zeroGradients()
            try model.forward(forgetBatch)
            let forgetLoss = try forgetHead.lossAndGradient(logits: model.logits, batch: forgetBatch,
                                                            reference: forgetReference?.cache(of: forgetIndices), scale: 1)
            model.backward()
            tokens += forget.tokenCount(forgetIndices)

            var retainLoss: Float = 0
            if let retain, let retainHead {
                // One retain batch per step, cycling through the retain set with a fresh shuffle per pass.
                let retainEpoch = step / retain.batchesPerEpoch
                if retainBatches?.epoch != retainEpoch { retainBatches = (retainEpoch, retain.batches(epoch: retainEpoch)) }
                let retainIndices = retainBatches!.batches[step % retain.batchesPerEpoch]
                let retainBatch = try retain.tokenBatch(retainIndices, padToken: padToken)
                try model.forward(retainBatch)
                retainLoss = try retainHead.head.lossAndGradient(logits: model.logits, batch: retainBatch,
                                                                 reference: retainReference?.cache(of: retainIndices),
                                                                 scale: retainHead.weight)
                model.backward() // adds to the forget batch's gradients
                tokens += retain.tokenCount(retainIndices)
            }

            let rate = schedule.rate(atStep: step)
            projection?.remember(model)
            optimizer.update(model, maxGradientNorm: options.maxGradientNorm, learningRate: rate)
            projection?.project(model)
            step += 1
            batchesDone += 1
            if batchesDone == epochBatches.count {
                epochsDone += 1
                trimChange()
            }

            let elapsed = (clock.now - start).seconds
            try progress(UnlearningProgress(step: step, totalSteps: totalSteps,
                                        loss: forgetLoss + (retainHead?.weight ?? 0) * retainLoss,
                                        forgetLoss: forgetLoss, retainLoss: retainLoss, learningRate: rate,
                                        tokensPerSecond: Double(tokens) / elapsed, secondsElapsed: elapsed,
                                        secondsRemaining: elapsed / Double(step - firstStep) * Double(totalSteps - step)))
            if batchesDone == epochBatches.count && step < totalSteps && epochsDone < epochLimit, try shouldStop(self) { break }
        }
        // Every epoch's end trimmed already; a run of a number of steps may stop within one.
        if batchesDone < epochBatches.count { trimChange() }
        roundChangeToGrid()
    }

    /// Keeps each trained tensor's largest changes from the parent (`ChangeDensity`), if the
    /// options ask for it: at every epoch's end, so that the next epoch's items and the early
    /// stop are judged on the sparse change, and at the end of a run that stops within an epoch.
    private func trimChange() {
        guard let density = options.changeDensity, let parentWeights else { return }
        forEachTrainedTensor(parentWeights) { _, weights, parent in density.trim(weights, parent: parent) }
    }

    /// Calls `body` with every trained tensor's weights and the parent's, tensor by tensor.
    private func forEachTrainedTensor(_ parentWeights: [[Float]],
                                      _ body: (ParameterLayout.Tensor, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) {
        for (range, parent) in zip(optimizer.ranges, parentWeights) {
            parent.withUnsafeBufferPointer { parent in
                for tensor in model.layout.tensors where range.contains(tensor.offset) {
                    let local = (tensor.offset - range.lowerBound)..<(tensor.offset - range.lowerBound + tensor.count)
                    body(tensor, UnsafeMutableBufferPointer(rebasing: model.parameters[tensor.offset..<tensor.offset + tensor.count]),
                         UnsafeBufferPointer(rebasing: parent[local]))
                }
            }
        }
    }

    /// Puts every trained weight on the change grid around its parent weight, if there is one,
    /// each tensor on the grid its change needs.
    private func roundChangeToGrid() {
        guard let grid = options.changeGrid, let parentWeights else { return }
        forEachTrainedTensor(parentWeights) { tensor, weights, parent in
            let bits = grid.quantumBits(UnsafeBufferPointer(weights), parent: parent)
            ChangeGrid.round(weights, parent: parent, bits: bits, seed: options.seed ^ 0x4752_4944, offset: tensor.offset)
            changeGridBits[tensor.name] = bits
        }
    }

    /// The forget examples that train in the next epoch: all of them without a forget target;
    /// with one, those above it, measured now. An item at the target sits the epoch out and is
    /// measured again at the next: one that the others' training drew back above it trains
    /// again, so replayed items stay forgotten without being pushed further.
    private func trainingItems() throws -> [Int] {
        let all = Array(forget.examples.indices)
        guard let target = options.forgetTarget, let baseProbabilities else { return all }
        let now = try ReferenceExamples(model: model, batching: forget, contents: .sequenceLogProbabilities, padToken: padToken)
            .answerProbabilities(endTokens: endTokens)
        atTarget = Set(all.filter { now[$0] <= target * baseProbabilities[$0] })
        return all.filter { !atTarget.contains($0) }
    }
}
