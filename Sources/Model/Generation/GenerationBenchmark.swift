import Foundation
import Kernels

/// Times an `InferenceSession` on random prompts: prefill of a short and a long prompt,
/// greedy decoding after each, what a sampled draw costs beyond an argmax, and greedy answers
/// to a batch of short prompts one by one against all at once (`generate(prompts:options:)`).
/// Each figure is the median of `repetitions` runs, so the first, cold run and a neighbour's
/// burst of work do not move it. `lethe bench generate` prints the result.
public struct GenerationBenchmark: Sendable {
    /// Where the weights come from.
    public enum Weights: Sendable {
        case randomlyInitialized(LlamaConfig)
        case folder(URL)
    }

    public struct Result: Codable, Sendable {
        /// The model folder, or "random" for randomly initialised weights.
        public let model: String
        public let parameters: Int
        public let threads: Int
        /// The OpenBLAS kernel set in use: decode speed depends on it several-fold.
        public let blasCore: String
        public let repetitions: Int
        public let shortPromptTokens: Int
        public let longPromptTokens: Int
        /// Tokens decoded after each prompt.
        public let decodedTokens: Int
        public let prefillShortMs: Double
        public let prefillLongMs: Double
        public let decodeShortMsPerToken: Double
        public let decodeLongMsPerToken: Double
        /// A draw with `sampling` minus an argmax, on the same logits.
        public let samplingExtraMsPerToken: Double
        /// Prompts of `shortPromptTokens` tokens answered with `decodedTokens` tokens each, one
        /// session after another and in one batched session: prompt and new tokens per second.
        public let batchPrompts: Int
        public let oneByOneTokensPerSecond: Double
        public let batchedTokensPerSecond: Double
    }

    /// The 3.1M-parameter shape the speed figures of docs/generation.md were measured on.
    public static let defaultShape = LlamaConfig(
        vocabSize: 2048, hiddenSize: 192, intermediateSize: 512, layerCount: 6,
        headCount: 6, keyValueHeadCount: 2, maxPositionEmbeddings: 2048)
    /// A shape that runs in well under a second, for tests.
    public static let quickShape = LlamaConfig(
        vocabSize: 256, hiddenSize: 64, intermediateSize: 128, layerCount: 2,
        headCount: 4, keyValueHeadCount: 2, maxPositionEmbeddings: 256)
    /// What the sampled draws use, against greedy's argmax.
    public static let sampling = SamplingOptions(temperature: 0.8, topK: 50, topP: 0.95, seed: 1)

    public var weights: Weights
    public var shortPromptTokens: Int
    public var longPromptTokens: Int
    public var decodedTokens: Int
    public var batchPrompts: Int
    /// Draws per repetition when timing the sampler: a draw takes microseconds.
    public var draws = 1000
    public var repetitions: Int
    public var seed: UInt64 = 0

    /// The default shape, or the model in `modelFolder`; `quick` picks the quick shape (when
    /// no folder is given) and short prompts with few repetitions.
    public init(modelFolder: URL? = nil, quick: Bool = false) {
        weights = modelFolder.map(Weights.folder) ?? .randomlyInitialized(quick ? Self.quickShape : Self.defaultShape)
        shortPromptTokens = quick ? 8 : 32
        longPromptTokens = quick ? 96 : 1536
        decodedTokens = quick ? 16 : 256
        batchPrompts = quick ? 8 : 64
        repetitions = quick ? 3 : 5
    }

    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Result {
        precondition(repetitions >= 1 && draws >= 1 && batchPrompts >= 1, "a median needs at least one repetition of at least one draw")
        let (model, name) = try loadModel()
        let capacity = model.config.maxPositionEmbeddings
        // A model with few positions (Checkpoints/base has 128) decodes over at most a quarter
        // of them after each prompt, the long prompt fills the rest, and the short one is at
        // most a quarter of the long one, so that the two contexts still differ.
        let decoded = max(1, min(decodedTokens, capacity / 4))
        let longPrompt = max(1, min(longPromptTokens, capacity - decoded))
        let shortPrompt = max(1, min(shortPromptTokens, longPrompt / 4))
        var generator = SeededGenerator(seed: seed)
        let prompts = [shortPrompt, longPrompt].map { length in
            (0..<length).map { _ in Int.random(in: 0..<model.config.vocabSize, using: &generator) }
        }

        let session = try InferenceSession(model: model)
        var greedy = try TokenSampler(options: .greedy, vocabularySize: model.config.vocabSize)
        var sampler = try TokenSampler(options: Self.sampling, vocabularySize: model.config.vocabSize)
        var prefill = [[Double]](repeating: [], count: prompts.count)
        var decode = prefill
        var greedyDraw: [Double] = [], sampledDraw: [Double] = []
        // The batch: short prompts, a quarter of the decode length each (they are answers).
        let batch = (0..<batchPrompts).map { _ in
            (0..<shortPrompt).map { _ in Int.random(in: 0..<model.config.vocabSize, using: &generator) }
        }
        let answerLength = max(1, decoded / 4)
        let options = GenerationOptions(maxNewTokens: answerLength)
        let batchSession = try InferenceSession.sized(for: batch, maxNewTokens: answerLength, model: model)
        let aloneSession = try InferenceSession.sized(for: [batch[0]], maxNewTokens: answerLength, model: model)
        var oneByOne: [Double] = [], batched: [Double] = []
        for repetition in 0..<repetitions {
            var logits = UnsafeBufferPointer<Float>(start: nil, count: 0)
            for (index, prompt) in prompts.enumerated() {
                session.reset()
                prefill[index].append(try seconds { logits = try session.append(tokens: prompt) })
                decode[index].append(try seconds {
                    for _ in 0..<decoded { logits = try session.append(token: greedy.next(from: logits)) }
                } / Double(decoded))
            }
            // Both draw from the last decode step's logits, which stay put until the next append.
            greedyDraw.append(seconds { for _ in 0..<draws { _ = greedy.next(from: logits) } } / Double(draws))
            sampledDraw.append(seconds { for _ in 0..<draws { _ = sampler.next(from: logits) } } / Double(draws))
            oneByOne.append(try seconds { for prompt in batch { _ = try aloneSession.generate(prompt: prompt, options: options) } })
            batched.append(try seconds { _ = try batchSession.generate(prompts: batch, options: options) })
            progress(repetition + 1, repetitions)
        }
        let milliseconds = { (samples: [Double]) in median(samples) * 1000 }
        let batchTokens = batchPrompts * (shortPrompt + answerLength)
        return Result(
            model: name, parameters: model.layout.count, threads: Parallelism.threadCount,
            blasCore: BLASCoreType.current, repetitions: repetitions,
            shortPromptTokens: shortPrompt, longPromptTokens: longPrompt, decodedTokens: decoded,
            prefillShortMs: milliseconds(prefill[0]), prefillLongMs: milliseconds(prefill[1]),
            decodeShortMsPerToken: milliseconds(decode[0]), decodeLongMsPerToken: milliseconds(decode[1]),
            samplingExtraMsPerToken: milliseconds(sampledDraw) - milliseconds(greedyDraw),
            batchPrompts: batchPrompts, oneByOneTokensPerSecond: Double(batchTokens) / median(oneByOne),
            batchedTokensPerSecond: Double(batchTokens) / median(batched))
    }

    private func loadModel() throws -> (LlamaModel, name: String) {
        switch weights {
        case .folder(let folder):
            return (try ModelFolder.load(folder), folder.path)
        case .randomlyInitialized(let config):
            let model = LlamaModel(config: config)
            model.initializeRandomly(seed: seed)
            return (model, "random")
        }
    }
}

/// How long `work` takes, in seconds.
private func seconds(_ work: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try work()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The middle value (the mean of the two middle ones for an even count).
private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted(), middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
