import Foundation
import Model
import Unlearning

/// The settings of a supervised fine-tuning run; saved in its checkpoints so a resumed run
/// continues the same schedule and data order.
public struct SupervisedTrainingOptions: Sendable, Codable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var warmupSteps: Int
    public var decay: LearningRateSchedule.Decay
    /// The final learning rate as a fraction of the peak.
    public var floorRatio: Double
    public var weightDecay: Double
    public var maxGradientNorm: Float
    /// Seeds the data order (a fresh shuffle each epoch).
    public var seed: UInt64

    public init(epochs: Int, batchSize: Int, learningRate: Double, warmupSteps: Int, decay: LearningRateSchedule.Decay = .cosine,
                floorRatio: Double = 0.1, weightDecay: Double = 0.01, maxGradientNorm: Float = 1, seed: UInt64 = 1) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.decay = decay
        self.floorRatio = floorRatio
        self.weightDecay = weightDecay
        self.maxGradientNorm = maxGradientNorm
        self.seed = seed
    }
}

/// Where a run stands, reported after every step.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    /// Mean loss over the steps since the last report.
    public var loss: Float
    public var learningRate: Double
    public var tokensPerSecond: Double
    public var secondsElapsed: Double
    public var secondsRemaining: Double
}

/// Supervised fine-tuning of a model on prompt/completion examples: AdamW, warmup and decay,
/// global-norm clipping, a seeded shuffle per epoch. The loop reads top to bottom: batch,
/// forward, loss, backward, clip, step.
public final class SupervisedTraining {
    public let model: LlamaModel
    public let optimizer: AdamW
    public let options: SupervisedTrainingOptions
    public let examples: [SupervisedExample]
    /// The seeded, length-bucketed batches of `examples`.
    public let batching: ExampleBatching
    /// The longest example: no batch is padded beyond it.
    public var length: Int { batching.length }
    public let padToken: Int
    public let schedule: LearningRateSchedule
    /// Steps done so far (also after a resume).
    public private(set) var step = 0
    /// The mean loss of the last reported steps; nil before the first report.
    public internal(set) var lastLoss: Float?
    /// Time spent in `run`, summed over every session of a resumed run.
    public internal(set) var secondsTrained: Double = 0

    public init(model: LlamaModel, examples: [SupervisedExample], options: SupervisedTrainingOptions, padToken: Int) {
        precondition(!examples.isEmpty && options.batchSize > 0 && options.epochs > 0, "training needs examples, a batch size and epochs")
        self.model = model
        self.examples = examples
        self.options = options
        self.padToken = padToken
        batching = ExampleBatching(examples: examples, batchSize: options.batchSize, seed: options.seed)
        optimizer = AdamW(parameterCount: model.layout.count,
                          configuration: AdamWConfiguration(learningRate: options.learningRate, weightDecay: options.weightDecay))
        model.restrictTraining(to: [0..<model.layout.count])  // every parameter trains, whatever the model did before
        schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps,
                                        totalSteps: options.epochs * batching.batchesPerEpoch,
                                        decay: options.decay, floorRatio: options.floorRatio)
    }

    public var stepsPerEpoch: Int { batching.batchesPerEpoch }
    public var totalSteps: Int { schedule.totalSteps }

    public static var lengthQuantum: Int { ExampleBatching.lengthQuantum }

    /// The batches of `epoch` as example indices (see `ExampleBatching`).
    public func batches(epoch: Int) -> [[Int]] { batching.batches(epoch: epoch) }

    func paddedLength(_ batch: [Int]) -> Int { batching.paddedLength(batch) }

    /// Trains until `totalSteps` (or `stopAfter` steps, for tests and time-boxed runs),
    /// reporting every `reportEvery` steps and calling `checkpoint` every `checkpointEvery`
    /// steps and at the end.
    public func run(stopAfter: Int? = nil, reportEvery: Int = 10, checkpointEvery: Int = 500,
                    progress: (TrainingProgress) -> Void = { _ in },
                    checkpoint: (SupervisedTraining) throws -> Void = { _ in }) throws {
        precondition(reportEvery > 0 && checkpointEvery > 0, "reports and checkpoints need a positive interval")
        let last = min(totalSteps, stopAfter.map { step + $0 } ?? totalSteps)
        let clock = ContinuousClock(), start = clock.now
        let secondsBefore = secondsTrained
        let firstStep = step
        var lossSum: Double = 0, lossCount = 0, tokens = 0
        var epochBatches: (epoch: Int, batches: [[Int]])? = nil
        while step < last {
            let epoch = step / stepsPerEpoch
            if epochBatches?.epoch != epoch { epochBatches = (epoch, batches(epoch: epoch)) }
            let indices = epochBatches!.batches[step % stepsPerEpoch]
            let batch = try batching.tokenBatch(indices, padToken: padToken)

            model.zeroGradients()
            try model.forward(batch)
            let loss = model.crossEntropyLoss()
            model.backwardCrossEntropy()
            model.clipGradients(maxNorm: options.maxGradientNorm)
            let rate = schedule.rate(atStep: step)
            optimizer.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), learningRate: rate)
            step += 1

            lossSum += Double(loss)
            lossCount += 1
            tokens += batching.tokenCount(indices)
            if step % reportEvery == 0 || step == last {
                let elapsed = (clock.now - start).seconds
                let perStep = elapsed / Double(step - firstStep)
                lastLoss = Float(lossSum / Double(lossCount))
                progress(TrainingProgress(step: step, totalSteps: totalSteps, epoch: epoch, loss: lastLoss!,
                                          learningRate: rate, tokensPerSecond: Double(tokens) / elapsed, secondsElapsed: elapsed,
                                          secondsRemaining: perStep * Double(totalSteps - step)))
                lossSum = 0
                lossCount = 0
            }
            secondsTrained = secondsBefore + (clock.now - start).seconds
            if step % checkpointEvery == 0 || step == last { try checkpoint(self) }
        }
    }

    /// Continues a run saved by `TrainingCheckpoint.write`: parameters, moments, step, last loss and time.
    public func resume(from checkpoint: TrainingCheckpoint) throws {
        try checkpoint.restore(into: self)
        step = checkpoint.step
        lastLoss = checkpoint.lastLoss
        secondsTrained = checkpoint.secondsTrained
        optimizer.resume(atStep: checkpoint.step)
    }

    /// A fingerprint of the examples and the model's config: a checkpoint of another data set
    /// or shape must not be resumed into this run (FNV-1a; a check, not a security measure).
    public var fingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: Int) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash = (hash ^ UInt64((value >> shift) & 0xFF)) &* 0x100_0000_01B3
            }
        }
        for example in examples {
            mix(example.prompt.count)
            example.prompt.forEach(mix)
            mix(example.completion.count)
            example.completion.forEach(mix)
        }
        let c = model.config
        [c.vocabSize, c.hiddenSize, c.intermediateSize, c.layerCount, c.headCount, c.keyValueHeadCount, c.headDim,
         c.maxPositionEmbeddings, c.tieWordEmbeddings ? 1 : 0, padToken].forEach(mix)
        return String(hash, radix: 16)
    }
}
