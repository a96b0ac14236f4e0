import Foundation
import Model
import Unlearning
import Corpus
import EmbeddedModel

/// One benchmark run's result: the method, its setting, the forget set, and the figures. Its
/// JSON is flat, one object of plain fields per run: the setting's and the score's fields sit
/// beside the run's own.
public struct BenchmarkRun: Sendable, Codable, Equatable {
    public var method: UnlearningMethod
    public var split: CorpusSplit
    public var seed: UInt64
    /// For the sequential benchmark, the request just applied (1-based); nil otherwise.
    public var step: Int?
    public var setting: MethodSetting
    public var score: UnlearningScore
    /// Wall time of the update itself, its reference pass included, evaluation excluded.
    public var seconds: Double
    public var updateSteps: Int

    public init(method: UnlearningMethod, split: CorpusSplit, seed: UInt64, setting: MethodSetting, step: Int?,
                score: UnlearningScore, seconds: Double, updateSteps: Int) {
        self.method = method
        self.split = split
        self.seed = seed
        self.step = step
        self.setting = setting
        self.score = score
        self.seconds = seconds
        self.updateSteps = updateSteps
    }

    private enum CodingKeys: String, CodingKey { case method, split, seed, step, seconds, updateSteps }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(method: try container.decode(UnlearningMethod.self, forKey: .method), split: try container.decode(CorpusSplit.self, forKey: .split),
                  seed: try container.decode(UInt64.self, forKey: .seed), setting: try MethodSetting(from: decoder),
                  step: try container.decodeIfPresent(Int.self, forKey: .step), score: try UnlearningScore(from: decoder),
                  seconds: try container.decode(Double.self, forKey: .seconds), updateSteps: try container.decode(Int.self, forKey: .updateSteps))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(method, forKey: .method)
        try container.encode(split, forKey: .split)
        try container.encode(seed, forKey: .seed)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(updateSteps, forKey: .updateSteps)
        try setting.encode(to: encoder)
        try score.encode(to: encoder)
    }

    public var learningRate: Double { setting.learningRate }
    public var constant: Float? { setting.constant }
    public var forgetQuality: Double { score.forgetQuality }
    public var modelUtility: Double { score.modelUtility }
    public var forgetRouge: Double { score.forgetRouge }
    public var miaAuc: Double { score.miaAuc }
}

/// Runs unlearning updates of one base model under equal terms and scores them: every run
/// starts from the base model's weights (or, in a sequence, from the previous request's
/// result), gets the same budget and the same retain examples, and is scored by one evaluator.
public final class UnlearningBenchmark {
    public let model: LlamaModel
    public let evaluator: UnlearningEvaluator
    public let budget: UnlearningBudget
    private let baseParameters: [Float]
    private let retainExamples: [SupervisedExample]

    /// `model` holds the base weights; every run starts by restoring them. `retainItems` are the
    /// retain examples paired with the forget batches, the same for every run.
    public init(model: LlamaModel, evaluator: UnlearningEvaluator, budget: UnlearningBudget,
                retainItems: [CorpusItem]) throws {
        self.model = model
        self.evaluator = evaluator
        self.budget = budget
        baseParameters = Array(model.parameters)
        retainExamples = try Self.examples(retainItems, evaluator: evaluator, model: model)
    }

    private static func examples(_ items: [CorpusItem], evaluator: UnlearningEvaluator, model: LlamaModel) throws -> [SupervisedExample] {
        try items.map { try BaseModelRecipe.example($0, format: evaluator.format, contextLength: model.config.maxPositionEmbeddings) }
    }

    public func restoreBase() {
        _ = model.parameters.update(from: baseParameters)
    }

    /// The base model's figures on `forget`: where every method starts.
    public func scoreBase(forget: [CorpusItem]) throws -> UnlearningScore {
        restoreBase()
        return try evaluator.score(model: model, forget: forget)
    }

    /// One update of the base model on `forget`, scored.
    public func run(method: UnlearningMethod, setting: MethodSetting, split: CorpusSplit, forget: [CorpusItem],
                    seed: UInt64) throws -> BenchmarkRun {
        restoreBase()
        return try update(method: method, setting: setting, split: split, forget: forget, scoredOn: forget, seed: seed, step: nil)
    }

    /// The requests applied one after another, each update starting from the previous one's
    /// result with that result as its reference; after each, the figures on every item
    /// forgotten so far. `onStep` gets each step's run as it finishes.
    public func runSequence(method: UnlearningMethod, setting: MethodSetting, split: CorpusSplit, requests: [[CorpusItem]],
                            seed: UInt64, onStep: (BenchmarkRun) -> Void = { _ in }) throws -> [BenchmarkRun] {
        restoreBase()
        var forgotten: [CorpusItem] = []
        var runs: [BenchmarkRun] = []
        for (index, request) in requests.enumerated() {
            forgotten += request
            // Each request's batches get their own order; the run still reports the sequence's seed.
            var run = try update(method: method, setting: setting, split: split, forget: request, scoredOn: forgotten,
                                 seed: seed &* 1000 &+ UInt64(index), step: index + 1)
            run.seed = seed
            runs.append(run)
            onStep(run)
        }
        return runs
    }

    private func update(method: UnlearningMethod, setting: MethodSetting, split: CorpusSplit, forget: [CorpusItem],
                        scoredOn: [CorpusItem], seed: UInt64, step: Int?) throws -> BenchmarkRun {
        let clock = ContinuousClock(), start = clock.now
        let update = try UnlearningUpdate(model: model, forget: try Self.examples(forget, evaluator: evaluator, model: model),
                                          retain: retainExamples, options: budget.options(method: method, setting: setting, seed: seed),
                                          padToken: evaluator.format.padToken)
        try update.run()
        let seconds = (clock.now - start).seconds
        return BenchmarkRun(method: method, split: split, seed: seed, setting: setting, step: step,
                            score: try evaluator.score(model: model, forget: scoredOn), seconds: seconds, updateSteps: update.step)
    }
}
