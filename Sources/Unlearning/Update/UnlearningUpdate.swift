import Foundation
import Model

/// One unlearning update of a model: the objective on the forget examples, each forget batch
/// paired with a retain batch that holds the rest of the model in place, AdamW over the
/// trainable scope. The loop reads top to bottom: forget batch, forward, objective, backward;
/// retain batch, forward, retain term, backward (adding to the gradients); clip, step.
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
    /// The parent's reference data per forget (and, for the KL retain term, retain) example,
    /// by example index; nil when the head reads none.
    private let forgetReference: ReferenceExamples?
    private let retainReference: ReferenceExamples?
    /// Steps done so far.
    public private(set) var step = 0

    /// Prepares the update of `model`, which must hold the parent version's weights: the
    /// reference data the objective needs is computed from it here, before any step.
    public init(model: LlamaModel, forget forgetExamples: [SupervisedExample], retain retainExamples: [SupervisedExample],
                options: UnlearningOptions, padToken: Int) throws {
        try options.validate()
        guard !forgetExamples.isEmpty else { throw UnlearningError.noForgetExamples }
        self.model = model
        self.options = options
        self.padToken = padToken
        let forget = ExampleBatching(examples: forgetExamples, batchSize: options.forgetBatchSize, seed: options.seed)
        self.forget = forget
        if let retainHead = options.retainHead {
            guard !retainExamples.isEmpty else { throw UnlearningError.noRetainExamples }
            // Another seed than the forget order's, so the pairing is not tied to it.
            let retain = ExampleBatching(examples: retainExamples, batchSize: options.retainBatchSize,
                                         seed: options.seed ^ 0x5245_5441_494E)
            self.retain = retain
            retainReference = try retainHead.head.referenceContents.map {
                try ReferenceExamples(model: model, batching: retain, contents: $0, padToken: padToken)
            }
        } else {
            retain = nil
            retainReference = nil
        }
        forgetReference = try options.forgetHead.referenceContents.map {
            try ReferenceExamples(model: model, batching: forget, contents: $0, padToken: padToken)
        }
        let totalSteps: Int
        switch options.length {
        case .epochs(let epochs): totalSteps = epochs * forget.batchesPerEpoch
        case .steps(let steps): totalSteps = steps
        }
        schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps, totalSteps: totalSteps,
                                        decay: options.decay)
        optimizer = ScopedAdamW(model: model, ranges: try options.scope.trainableRanges(in: model.layout, layerCount: model.config.layerCount),
                                configuration: AdamWConfiguration(learningRate: options.learningRate, weightDecay: options.weightDecay))
    }

    public var totalSteps: Int { schedule.totalSteps }
    /// Steps per pass over the forget examples.
    public var stepsPerEpoch: Int { forget.batchesPerEpoch }
    /// Passes over the forget examples completed so far.
    public var epochsDone: Int { step / stepsPerEpoch }
    /// The trainable stretches of the flat parameter buffer.
    public var trainableRanges: [Range<Int>] { optimizer.ranges }
    /// Bytes of the reference data kept for the whole update.
    public var referenceByteCount: Int {
        [forgetReference, retainReference].reduce(0) { $0 + ($1?.examples.reduce(0) { $0 + $1.byteCount } ?? 0) }
    }

    /// Runs to `totalSteps`, reporting after every step (an error thrown by `progress` ends the
    /// run there, e.g. a daemon shutting down); after each complete epoch but the last, stops
    /// early when `shouldStop` says so.
    public func run(progress: (UnlearningProgress) throws -> Void = { _ in },
                    shouldStop: (UnlearningUpdate) throws -> Bool = { _ in false }) throws {
        let forgetHead = options.forgetHead, retainHead = options.retainHead
        let clock = ContinuousClock(), start = clock.now, firstStep = step
        var tokens = 0
        var forgetBatches: (epoch: Int, batches: [[Int]])? = nil
        var retainBatches: (epoch: Int, batches: [[Int]])? = nil
        while step < totalSteps {
            let epoch = step / stepsPerEpoch
            if forgetBatches?.epoch != epoch { forgetBatches = (epoch, forget.batches(epoch: epoch)) }
            let forgetIndices = forgetBatches!.batches[step % stepsPerEpoch]
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
            optimizer.update(model, maxGradientNorm: options.maxGradientNorm, learningRate: rate)
            step += 1

            let elapsed = (clock.now - start).seconds
            try progress(UnlearningProgress(step: step, totalSteps: totalSteps,
                                        loss: forgetLoss + (retainHead?.weight ?? 0) * retainLoss,
                                        forgetLoss: forgetLoss, retainLoss: retainLoss, learningRate: rate,
                                        tokensPerSecond: Double(tokens) / elapsed, secondsElapsed: elapsed,
                                        secondsRemaining: elapsed / Double(step - firstStep) * Double(totalSteps - step)))
            if step % stepsPerEpoch == 0 && step < totalSteps, try shouldStop(self) { break }
        }
    }
}
