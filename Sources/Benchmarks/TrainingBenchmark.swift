import Foundation
import Kernels
import Model
import Unlearning

/// Times full training steps (forward, backward, AdamW) on random tokens, the Swift side
/// of the comparison with `shared/bench/pytorch_step.py`.
public struct TrainingBenchmark: Sendable {
    /// The shapes of the acceptance criteria, with their default batch and length.
    public enum Shape: String, CaseIterable, Sendable {
        case small, smol

        public var config: LlamaConfig {
            switch self {
            case .small:
                LlamaConfig(vocabSize: 2048, hiddenSize: 256, intermediateSize: 688, layerCount: 6,
                            headCount: 8, keyValueHeadCount: 8, maxPositionEmbeddings: 512, tieWordEmbeddings: true)
            case .smol:
                LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
                            headCount: 9, keyValueHeadCount: 3, maxPositionEmbeddings: 512, tieWordEmbeddings: true)
            }
        }

        public var defaultBatch: (batchSize: Int, length: Int, steps: Int) {
            switch self {
            case .small: (16, 64, 5)
            case .smol: (4, 128, 3)
            }
        }
    }

    public struct Result: Codable, Sendable {
        public let shape: String
        public let parameters: Int
        public let batch: Int
        public let seq: Int
        public let steps: Int
        public let threads: Int
        public let msPerStep: Double
        public let tokensPerS: Double
        public let gflops: Double
        public let sgemmPeakGflops: Double
        public let fractionOfPeak: Double
        public let peakRssMb: Double
        public let finalLoss: Float
    }

    public var config: LlamaConfig
    public var shapeName: String
    public var batchSize: Int
    public var length: Int
    public var steps: Int
    public var warmupSteps = 2
    public var seed: UInt64 = 0

    public init(shape: Shape, batchSize: Int? = nil, length: Int? = nil, steps: Int? = nil) {
        config = shape.config
        shapeName = shape.rawValue
        self.batchSize = batchSize ?? shape.defaultBatch.batchSize
        self.length = length ?? shape.defaultBatch.length
        self.steps = steps ?? shape.defaultBatch.steps
    }

    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Result {
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: seed)
        let optimizer = AdamW(parameterCount: model.layout.count, configuration: AdamWConfiguration(learningRate: 1e-5))
        var generator = SeededGenerator(seed: seed &+ 1)
        let ids = (0..<batchSize).map { _ in (0..<length).map { _ in Int.random(in: 0..<config.vocabSize, using: &generator) } }
        let batch = try TokenBatch(inputIDs: ids)

        var loss: Float = 0
        func step() throws {
            model.zeroGradients()
            try model.forward(batch)
            loss = model.crossEntropyLoss()
            model.backwardCrossEntropy()
            optimizer.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients))
        }
        for i in 0..<warmupSteps {
            try step()
            progress(i + 1, warmupSteps + steps)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<steps {
            try step()
            progress(warmupSteps + i + 1, warmupSteps + steps)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        let gflops = config.trainingStepFLOPs(batchSize: batchSize, length: length) / seconds / 1e9
        let peak = measureMatmulPeak()
        return Result(
            shape: shapeName, parameters: model.layout.count, batch: batchSize, seq: length, steps: steps,
            threads: Parallelism.threadCount, msPerStep: seconds * 1000,
            tokensPerS: Double(batchSize * length) / seconds, gflops: gflops, sgemmPeakGflops: peak,
            fractionOfPeak: gflops / peak, peakRssMb: peakResidentMegabytes(), finalLoss: loss)
    }
}

/// The process's peak resident set size so far, in MiB.
public func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}
