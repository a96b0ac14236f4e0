import Foundation
import Kernels
import Model
import Unlearning

/// Times training steps on random tokens over a parameter scope: plain next-token steps
/// (forward, backward, AdamW; the Swift side of the comparison with
/// `shared/bench/pytorch_step.py`), or DiPO unlearning steps as an update makes them (a forget
/// batch under DiPO and a retain batch under NLL, the reference cached first). Reports the
/// memory the step holds beside its time.
public struct TrainingBenchmark: Sendable {
    /// Named model shapes with their default batch and length.
    public enum Shape: String, CaseIterable, Sendable {
        case small, smol
        /// Llama-3.2-1B's shape (default RoPE: scaling changes no cost).
        case llama1B = "llama-3.2-1b"

        /// Other names the shapes answer to.
        public static let aliases: [String: Shape] = ["smollm2-135m": .smol, "smollm-135m": .smol]

        public init?(name: String) {
            guard let shape = Shape(rawValue: name) ?? Self.aliases[name] else { return nil }
            self = shape
        }

        public var config: LlamaConfig {
            switch self {
            case .small:
                LlamaConfig(vocabSize: 2048, hiddenSize: 256, intermediateSize: 688, layerCount: 6,
                            headCount: 8, keyValueHeadCount: 8, maxPositionEmbeddings: 512, tieWordEmbeddings: true)
            case .smol:
                LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
                            headCount: 9, keyValueHeadCount: 3, maxPositionEmbeddings: 512, tieWordEmbeddings: true)
            case .llama1B:
                LlamaConfig(vocabSize: 128_256, hiddenSize: 2048, intermediateSize: 8192, layerCount: 16,
                            headCount: 32, keyValueHeadCount: 8, headDim: 64, rmsNormEpsilon: 1e-5, ropeTheta: 500_000,
                            maxPositionEmbeddings: 512, tieWordEmbeddings: true)
            }
        }

        public var defaultBatch: (batchSize: Int, length: Int, steps: Int) {
            switch self {
            case .small: (16, 64, 5)
            case .smol: (4, 128, 3)
            case .llama1B: (2, 64, 2)
            }
        }
    }

    /// What one timed step does.
    public enum Objective: String, CaseIterable, Sendable, Codable {
        /// Next-token NLL on one batch, AdamW over the scope.
        case nll
        /// An unlearning step: DiPO on a forget batch (the answer is each sequence's second half)
        /// plus NLL on a retain batch, AdamW over the scope, as `UnlearningUpdate` runs it.
        case dipo
    }

    public struct Result: Codable, Sendable {
        public let shape: String
        public let objective: Objective
        public let scope: String
        public let parameters: Int
        public let trainableParameters: Int
        public let batch: Int
        public let seq: Int
        public let steps: Int
        public let threads: Int
        public let msPerStep: Double
        /// Tokens through forward and backward per second (both batches of a DiPO step).
        public let tokensPerS: Double
        public let gflops: Double
        public let sgemmPeakGflops: Double
        public let fractionOfPeak: Double
        /// What the step holds, in MiB: the weights, the trainable parameters' gradients and
        /// AdamW moments, the activation plans, and the reference data (DiPO).
        public let weightsMb: Double
        public let gradientsMb: Double
        public let optimizerMb: Double
        public let activationsMb: Double
        public let referenceMb: Double
        public let peakRssMb: Double
        public let finalLoss: Float
    }

    public var config: LlamaConfig
    public var shapeName: String
    public var batchSize: Int
    public var length: Int
    public var steps: Int
    public var objective: Objective
    public var scope: ParameterScope
    public var warmupSteps = 2
    public var seed: UInt64 = 0
    /// Measure the sgemm peak after the steps (seconds of extra work).
    public var measurePeak = true

    /// `scope` defaults to the one an update of this shape would get (`ParameterScope.recommended`).
    public init(shape: Shape, objective: Objective = .nll, scope: ParameterScope? = nil, batchSize: Int? = nil,
                length: Int? = nil, steps: Int? = nil) {
        config = shape.config
        shapeName = shape.rawValue
        self.objective = objective
        self.scope = scope ?? .recommended(for: shape.config)
        self.batchSize = batchSize ?? shape.defaultBatch.batchSize
        self.length = length ?? shape.defaultBatch.length
        self.steps = steps ?? shape.defaultBatch.steps
    }

    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Result {
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: seed)
        var generator = SeededGenerator(seed: seed &+ 1)
        func randomSequences(_ count: Int) -> [[Int]] {
            (0..<count).map { _ in (0..<length).map { _ in Int.random(in: 0..<config.vocabSize, using: &generator) } }
        }
        let ranges = try scope.trainableRanges(in: model.layout, layerCount: config.layerCount)
        let totalSteps = warmupSteps + steps
        // Runs every step, calling back with each one's loss.
        let runSteps: (_ stepDone: (Float) -> Void) throws -> Void
        var referenceBytes = 0, tokensPerStep = batchSize * length, batchesPerStep = 1
        switch objective {
        case .nll:
            let batch = try TokenBatch(inputIDs: randomSequences(batchSize))
            let optimizer = ScopedAdamW(model: model, ranges: ranges, configuration: AdamWConfiguration(learningRate: 1e-5))
            runSteps = { stepDone in
                for _ in 0..<totalSteps {
                    model.zeroGradients()
                    try model.forward(batch)
                    let loss = model.crossEntropyLoss()
                    model.backwardCrossEntropy()
                    optimizer.update(model, maxGradientNorm: .infinity, learningRate: 1e-5)
                    stepDone(loss)
                }
            }
        case .dipo:
            // Two batches' worth of distinct forget and retain examples: prompt half, answer half.
            let examples = {
                randomSequences(2 * batchSize).map { SupervisedExample(prompt: Array($0[..<(length / 2)]), completion: Array($0[(length / 2)...])) }
            }
            let update = try UnlearningUpdate(
                model: model, forget: examples(), retain: examples(),
                options: UnlearningOptions(objective: .dipo(UnlearningOptions.recommendedDiPO), length: .steps(totalSteps),
                                           forgetBatchSize: batchSize, retainBatchSize: batchSize, learningRate: 1e-5, scope: scope),
                padToken: 0)
            referenceBytes = update.referenceByteCount
            tokensPerStep *= 2
            batchesPerStep = 2
            runSteps = { stepDone in try update.run { stepDone($0.loss) } }
        }

        var loss: Float = 0
        var stamps = [DispatchTime.now().uptimeNanoseconds]  // the start, then the end of each step
        try runSteps { stepLoss in
            loss = stepLoss
            stamps.append(DispatchTime.now().uptimeNanoseconds)
            progress(stamps.count - 1, totalSteps)
        }
        let seconds = Double(stamps[totalSteps] - stamps[warmupSteps]) / 1e9 / Double(steps)
        let flops = Double(batchesPerStep) * Self.stepFLOPs(model: model, batchSize: batchSize, length: length)
        let gflops = flops / seconds / 1e9
        let peak = measurePeak ? measureMatmulPeak() : .nan
        let megabytes = { (bytes: Int) in Double(bytes) / 1_048_576 }
        return Result(
            shape: shapeName, objective: objective, scope: scope.name, parameters: model.layout.count,
            trainableParameters: model.gradientMap.count, batch: batchSize, seq: length, steps: steps,
            threads: Parallelism.threadCount, msPerStep: seconds * 1000,
            tokensPerS: Double(tokensPerStep) / seconds, gflops: gflops, sgemmPeakGflops: peak,
            fractionOfPeak: gflops / peak, weightsMb: megabytes(model.layout.count * MemoryLayout<Float>.size),
            gradientsMb: megabytes(model.gradientMap.count * MemoryLayout<Float>.size),
            optimizerMb: megabytes(2 * model.gradientMap.count * MemoryLayout<Float>.size),
            activationsMb: megabytes(model.activationByteCount), referenceMb: megabytes(referenceBytes),
            peakRssMb: peakResidentMegabytes(), finalLoss: loss)
    }

    /// Floating-point operations of one forward and backward pass over B × T tokens with the
    /// model's trainable set: a matmul costs 2 FLOPs per parameter and token forward, 2 more
    /// for its input gradient where backward reaches it, 2 more for its weight gradient where
    /// it trains; the attention products count likewise (3× in the layers backward reaches).
    /// With every parameter training this is `LlamaConfig.trainingStepFLOPs`.
    static func stepFLOPs(model: LlamaModel, batchSize: Int, length: Int) -> Double {
        let c = model.config, layout = model.layout, map = model.gradientMap
        let tokens = Double(batchSize * length), C = c.hiddenSize, I = c.intermediateSize, qkvWidth = (c.headCount + 2 * c.keyValueHeadCount) * c.headDim
        let attention = 2.0 * 2.0 * Double(batchSize * c.headCount * length * length * c.headDim)
        func matmul(_ offset: Int, _ count: Int, reached: Bool) -> Double {
            let passes = 1 + (reached ? 1 : 0) + (map.trainsAny(of: offset..<offset + count) ? 1 : 0)
            return 2 * tokens * Double(count) * Double(passes)
        }
        var total = matmul(layout.lmHead, c.vocabSize * C, reached: true)
        for (l, w) in layout.layers.enumerated() {
            let reached = l >= model.lowestTrainedLayer
            total += (reached ? 3 : 1) * attention
            total += matmul(w.qkv, qkvWidth * C, reached: reached) + matmul(w.output, c.headCount * c.headDim * C, reached: reached)
                + matmul(w.gateUp, 2 * I * C, reached: reached) + matmul(w.down, C * I, reached: reached)
        }
        return total
    }
}

/// The process's peak resident set size so far, in MiB.
public func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}
