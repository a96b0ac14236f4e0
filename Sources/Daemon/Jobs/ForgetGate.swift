import Foundation
import Model
import Store
import Unlearning

/// What the gate measured on a candidate version, and whether it may be published: every item
/// the job had to forget meets the forget criteria, and model utility is within the budget of
/// the base version's.
public struct GateResult: Sendable {
    /// Item id → its forget score: the job's items and the sample of the forget set.
    public let scores: [String: ForgetItemScore]
    public let utility: Double
    /// What `utility` is the harmonic mean of, by name (the utility set's mean ROUGE-L recall and
    /// p̄ ratio, or the corpus's six TOFU figures).
    public let utilityFigures: [String: Double]
    public let baseUtility: Double
    public let maxUtilityDrop: Double
    /// The job's items the version does not forget.
    public let unforgotten: [String]
    /// Items of the sample, forgotten before, that this version no longer forgets.
    public let regressed: [String]

    public var utilityFloor: Double { baseUtility * (1 - maxUtilityDrop) }
    public var isWithinUtilityBudget: Bool { utility >= utilityFloor }
    /// Every item forgotten and utility within budget: no retry is needed.
    public var passed: Bool { unforgotten.isEmpty && isWithinUtilityBudget }

    /// Why the version was not published, in words with the numbers.
    public var failureReason: String? {
        var reasons: [String] = []
        if !unforgotten.isEmpty {
            reasons.append("\(unforgotten.count) of the job's items are not forgotten (\(unforgotten.prefix(5).joined(separator: ", "))\(unforgotten.count > 5 ? ", …" : ""))")
        }
        if !isWithinUtilityBudget {
            reasons.append(String(format: "model utility %.4f is below %.4f (the base version's %.4f less %.0f %%)", utility, utilityFloor,
                                  baseUtility, maxUtilityDrop * 100))
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    public var metrics: [String: JSONValue] {
        ["utility": .number(utility), "utility_figures": .object(utilityFigures.mapValues(JSONValue.number)),
         "base_utility": .number(baseUtility), "utility_floor": .number(utilityFloor),
         "items_scored": .number(Double(scores.count)), "unforgotten": .array(unforgotten.map(JSONValue.string)),
         "regressed": .array(regressed.map(JSONValue.string))]
    }
}

/// Measures a candidate version: forget scores of the job's items and of a sample of the
/// forget set, and model utility on the kept data's questions that no forget item asks.
struct ForgetGate {
    let configuration: DaemonConfiguration
    let texts: ModelTexts
    let kept: KeptData

    var criteria: ForgetCriteria {
        ForgetCriteria(maxRougeLRecall: configuration.gate.maxRougeLRecall, maxProbabilityRatio: configuration.gate.maxProbabilityRatio)
    }

    /// The questions (and passages) of the forget set's items that are not withdrawn.
    static func forgetPrompts(_ registry: Registry) throws -> Set<String> {
        // A passage asked to be forgotten is its own "prompt": the user's sets leave it out too.
        Set(try registry.forgetItems().filter { $0.state != .withdrawn }.compactMap { $0.prompt ?? $0.text })
    }

    /// Measures the base version's utility now (at start-up), so the first job does not wait for
    /// it: on the user's sets, the references are computed and recorded (the retain set's too).
    /// Data that leaves nothing to keep or to measure is refused here, before any job.
    func measureBase(_ base: BaseReference, registry: Registry) throws {
        let forgetPrompts = try Self.forgetPrompts(registry)
        let retain = try kept.retainTexts(excluding: forgetPrompts, count: configuration.retainItems, base: base, texts: texts,
                                          registry: registry)
        let utility = try kept.utility(of: base.model, base: base, forgetPrompts: forgetPrompts,
                                       sampleSize: configuration.gate.utilityItems, texts: texts, registry: registry)
        guard case .sets = kept else { return }
        let nothingLeft = "every item of its sample is asked to be forgotten or has an answer of no word"
        if retain.isEmpty { throw DaemonError.dataUnusable(key: "retain_set", reason: "leaves no retain example: \(nothingLeft)") }
        if utility.base == 0 {
            throw DaemonError.dataUnusable(key: configuration.utilitySetKey,
                                           reason: "measures no utility: \(nothingLeft), or the base version recalls none of the given answers")
        }
    }

    func measure(_ model: LlamaModel, plan: JobPlan, settings: JobSettings, baseProbabilities: [String: Double], base: BaseReference,
                 forgetPrompts: Set<String>, registry: Registry, cancellation: JobCancellation) throws -> GateResult {
        let targets = plan.targets, sample = plan.gateSample
        let scores = try texts.scores((targets + sample).map { ($0.id, ItemText($0)) }, baseProbabilities: baseProbabilities,
                                      model: model, between: cancellation.check)
        try cancellation.check()
        let (utility, baseUtility) = try kept.utility(of: model, base: base, forgetPrompts: forgetPrompts,
                                                      sampleSize: configuration.gate.utilityItems, texts: texts, registry: registry,
                                                      between: cancellation.check)
        let failing = { (items: [ForgetItemRecord]) in items.filter { !criteria.isForgotten(scores[$0.id]!) }.map(\.id) }
        return GateResult(scores: scores, utility: utility.value, utilityFigures: utility.figures, baseUtility: baseUtility, maxUtilityDrop: settings.maxUtilityDrop,
                          unforgotten: failing(targets), regressed: failing(sample))
    }
}

extension ForgetItemScore {
    /// The score as kept in the forget set's `latest_scores`.
    func record(version: Int?) -> [String: JSONValue] {
        ["rouge_l_recall": .number(rougeLRecall), "probability": .number(probability), "base_probability": .number(baseProbability),
         "probability_ratio": .number(probabilityRatio), "generated": .string(generated),
         "version": version.map { .number(Double($0)) } ?? .null]
    }
}
