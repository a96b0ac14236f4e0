import Foundation
import Model
import Store
import Unlearning

/// Where a running job is, for `lethe status`, sd_notify's STATUS= and the log.
public struct JobProgress: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable {
        case preparing, training, gating, publishing
    }

    public var phase: Phase
    /// 1 for the job as planned, then one more for each step of the escalation ladder.
    public var attempt: Int
    public var step = 0
    public var totalSteps = 0
    public var secondsRemaining: Double?
}

/// A candidate version that went through the gate.
public struct JobResult {
    public let model: LlamaModel
    public let gate: GateResult
    public let settings: JobSettings
    /// Which attempt of the job's requests this was (1: the job as planned) and its step of the ladder.
    public let attempt: Int
    public let step: EscalationStep.Kind
    public let steps: Int
    /// The earlier forgotten items whose answers the update held (`HeldAnswer`).
    public let heldAnswers: Int
    /// The parameter scope the update trained (`ParameterScope.name`).
    public let scope: String
    public let trainSeconds: Double
    public let gateSeconds: Double

    public var metrics: [String: JSONValue] {
        gate.metrics.merging(["attempts": .number(Double(attempt)), "escalation_step": .string(step.rawValue),
                              "steps": .number(Double(steps)), "held_answers": .number(Double(heldAnswers)), "scope": .string(scope),
                              "train_seconds": .number(trainSeconds), "gate_seconds": .number(gateSeconds)]) { $1 }
    }

    /// The gate's numbers and the settings, as a failed request's error keeps them.
    public var errorFields: [String: JSONValue] {
        ["metrics": .object(metrics), "hyperparameters": .object(settings.hyperparameters)]
    }
}

/// A job that cannot train: one of its items cannot be read by the model, because it does not
/// fit the model's context or its conversation format refuses it (a special token's text).
public struct UnreadableItem: Error, CustomStringConvertible {
    public let item: ForgetItemRecord
    public let reason: String

    public var description: String { "item \(item.id) \(reason)" }
}

/// Runs one attempt of a planned job: the update from the parent version (HEAD when planned)
/// with the plan's settings on its items, the replayed ones and retain examples, then the gate.
/// Nothing is published here; the daemon climbs the escalation ladder with new plans.
final class UpdateJob {
    let plan: JobPlan
    let store: CheckpointStore
    let configuration: DaemonConfiguration
    let texts: ModelTexts
    let kept: KeptData
    let base: BaseReference
    let parent: ParentWeights
    let cancellation: JobCancellation
    /// Called at every step and phase; what it throws ends the job there.
    let progress: (JobProgress) throws -> Void

    init(plan: JobPlan, store: CheckpointStore, configuration: DaemonConfiguration, texts: ModelTexts, kept: KeptData,
         base: BaseReference, parent: ParentWeights, cancellation: JobCancellation, progress: @escaping (JobProgress) throws -> Void) {
        precondition(parent.version == plan.head, "a job starts from its plan's head")
        (self.plan, self.store, self.configuration, self.texts, self.kept) = (plan, store, configuration, texts, kept)
        (self.base, self.parent, self.cancellation, self.progress) = (base, parent, cancellation, progress)
    }

    func run(attempt: Int, step: EscalationStep.Kind) throws -> JobResult {
        try progress(JobProgress(phase: .preparing, attempt: attempt))
        let forget = try (plan.targets + plan.replay).map { item -> SupervisedExample in
            let example: SupervisedExample
            do { example = try texts.example(ItemText(item)) } catch {
                throw UnreadableItem(item: item, reason: "cannot be asked in the model's conversation format: \(error)")
            }
            guard texts.fits(example) else {
                throw UnreadableItem(item: item, reason: "is \(example.tokenCount) tokens with its prompt, more than the model's context of \(texts.contextLength)")
            }
            return example
        }
        let forgetPrompts = try ForgetGate.forgetPrompts(store.registry)
        let requestRetain = plan.members.flatMap(\.request.retain).map { ItemText($0.content) }
        let keptRetain = try kept.retainTexts(excluding: forgetPrompts, near: (plan.targets + plan.replay).map(ItemText.init), count: configuration.retainItemCount,
                                          utilitySampleSize: configuration.gate.utilityItems, base: base, texts: texts,
                                              registry: store.registry)
        let held = plan.held.compactMap(HeldAnswer.text)
        // Retain texts that do not fit the context or the format are left out: they only steady the update.
        let retain = (requestRetain + held + keptRetain).compactMap { try? texts.example($0) }.filter(texts.fits)

        let scored = plan.targets + plan.gateSample
        var baseProbabilities: [String: Double] = [:]
        for item in scored { if let known = item.latestScores?["base_probability"]?.doubleValue { baseProbabilities[item.id] = known } }
        let unknown = scored.filter { baseProbabilities[$0.id] == nil }
        try cancellation.check()
        baseProbabilities.merge(try texts.probabilities(unknown.map { ($0.id, ItemText($0)) }, model: base.model)) { $1 }

        let gate = ForgetGate(configuration: configuration, texts: texts, kept: kept)
        let clock = ContinuousClock()
        try cancellation.check()
        let model = configuration.update.startFromBase ? try store.loadModel(version: base.version)
            : try store.model(weights: parent.bytes, version: parent.version)
        let started = clock.now
        let options = plan.settings.unlearningOptions(configuration, model: model.config, seed: UInt64(plan.head) &* 2 &+ UInt64(attempt))
        let update = try UnlearningUpdate(model: model, forget: forget, retain: retain, options: options, padToken: texts.padToken,
                                          base: base.model)
        try update.run(progress: { step in
            try self.cancellation.check()
            try self.progress(JobProgress(phase: .training, attempt: attempt, step: step.step, totalSteps: step.totalSteps,
                                          secondsRemaining: step.secondsRemaining))
        })
        let trainSeconds = (clock.now - started).seconds
        try progress(JobProgress(phase: .gating, attempt: attempt))
        let gateStarted = clock.now
        let result = try gate.measure(model, plan: plan, settings: plan.settings, baseProbabilities: baseProbabilities, base: base,
                                      forgetPrompts: forgetPrompts,
                                      parentDrift: try ForgetGate.drift(of: plan.head, base: base, registry: store.registry),
                                      registry: store.registry, cancellation: cancellation)
        return JobResult(model: model, gate: result, settings: plan.settings, attempt: attempt, step: step, steps: update.step,
                         heldAnswers: held.count, scope: options.scope.name, trainSeconds: trainSeconds,
                         gateSeconds: (clock.now - gateStarted).seconds)
    }
}
