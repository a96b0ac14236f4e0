import Foundation
import Kernels
import Model
import Unlearning
import Store

/// `lethe bench store`: object sizes and codec speeds on weights that real training
/// produced. A model is trained from scratch on a learnable synthetic language (the
/// "trained checkpoint"), then updated by more AdamW steps at lr 1e-4; a second case keeps
/// only the MLP updates of the first half of the layers. Each case measures the full and
/// the delta object of the updated weights against `zstd -3` of the same file.
public struct StoreBenchmark: Sendable {
    public struct Case: Codable, Sendable {
        public let name: String
        public let measurement: ObjectCodecMeasurement
        public let fullRatioVsZstd: Double
        public let deltaRatioVsZstd: Double
    }

    public struct Result: Codable, Sendable {
        public let parameters: Int
        public let pretrainSteps: Int
        public let updateSteps: Int
        public let cases: [Case]
        /// What a tensor that did not change costs in a delta object, on average.
        public let unchangedTensorBytes: Double
        // The figures of the acceptance criteria, from the first case.
        public let fullRatioVsZstd: Double
        public let deltaRatioVsZstd: Double
        public let compressMbS: Double
        public let restoreMbS: Double
    }

    public var config: LlamaConfig
    public var pretrainSteps: Int
    public var updateSteps: Int
    public var batchSize = 8
    public var length = 64
    public var settings = CompressionSettings()

    public init(quick: Bool) {
        config = quick
            ? LlamaConfig(vocabSize: 256, hiddenSize: 64, intermediateSize: 128, layerCount: 2, headCount: 4,
                          keyValueHeadCount: 4, tieWordEmbeddings: true)
            : TrainingBenchmark.Shape.small.config
        pretrainSteps = quick ? 20 : 300
        updateSteps = quick ? 10 : 300
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 1)
        let optimizer = AdamW(parameterCount: model.layout.count, configuration: AdamWConfiguration(learningRate: 1e-3))
        var generator = SeededGenerator(seed: 2)
        func train(steps: Int, learningRate: Double, label: String) throws {
            for step in 0..<steps {
                model.zeroGradients()
                try model.forward(try syntheticBatch(&generator))
                let loss = model.crossEntropyLoss()
                model.backwardCrossEntropy()
                model.clipGradients(maxNorm: 1)
                optimizer.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), learningRate: learningRate)
                if step % 25 == 0 || step == steps - 1 { progress(String(format: "%@ step %d/%d loss %.3f", label, step + 1, steps, loss)) }
            }
        }
        try train(steps: pretrainSteps, learningRate: 1e-3, label: "pretrain")
        let trained = try serialize(model)
        let trainedParameters = Array(model.parameters)
        try train(steps: updateSteps, learningRate: 1e-4, label: "update")
        let updated = try serialize(model)

        // The MLP-only case: the update's MLP tensors in the first half of the layers, the rest as trained.
        let changedLayers = Set((0..<max(1, config.layerCount / 2)).map { "model.layers.\($0).mlp." })
        for tensor in model.layout.tensors where !changedLayers.contains(where: tensor.name.hasPrefix) {
            for i in tensor.offset..<tensor.offset + tensor.count { model.parameters[i] = trainedParameters[i] }
        }
        let mlpOnly = try serialize(model)

        progress("measuring")
        var cases: [Case] = []
        for (name, target) in [("adamw-\(updateSteps)-steps-lr1e-4", updated), ("mlp-of-first-half-layers", mlpOnly)] {
            let measurement = try ObjectCodec.measure(base: trained, target: target, settings: settings)
            cases.append(Case(name: name, measurement: measurement, fullRatioVsZstd: measurement.fullRatioVsZstd,
                              deltaRatioVsZstd: measurement.deltaRatioVsZstd))
        }
        let unchanged = try ObjectCodec.encodeDelta(base: trained, target: trained, settings: settings)
        let main = cases[0].measurement
        return Result(
            parameters: model.layout.count, pretrainSteps: pretrainSteps, updateSteps: updateSteps, cases: cases,
            unchangedTensorBytes: Double(unchanged.count) / Double(model.layout.tensors.count),
            fullRatioVsZstd: main.fullRatioVsZstd, deltaRatioVsZstd: main.deltaRatioVsZstd,
            compressMbS: min(main.fullCompressMBPerSecond, main.deltaCompressMBPerSecond),
            restoreMbS: min(main.fullRestoreMBPerSecond, main.deltaRestoreMBPerSecond))
    }

    /// Sequences of a small learnable language: each continues x → (a·x + b) mod V with
    /// one of a few (a, b) rules, so the model has something real to fit.
    private func syntheticBatch(_ generator: inout SeededGenerator) throws -> TokenBatch {
        let rules = [(3, 1), (5, 7), (7, 3), (11, 5)]
        let sequences = (0..<batchSize).map { _ -> [Int] in
            let (a, b) = rules[Int.random(in: 0..<rules.count, using: &generator)]
            var x = Int.random(in: 0..<config.vocabSize, using: &generator)
            return (0..<length).map { _ in
                defer { x = (a * x + b) % config.vocabSize }
                return x
            }
        }
        return try TokenBatch(sequences: sequences)
    }

    private func serialize(_ model: LlamaModel) throws -> [UInt8] {
        try SafeTensorsWriter.serialize(model.safeTensors, metadata: ["format": "pt"])
    }
}
