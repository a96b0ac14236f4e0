import Foundation
import Model
import Store
import Unlearning

/// What the gate measured on a candidate version, and whether it may be published: every item
/// the job had to forget meets the forget criteria, without being forgotten far past the level
/// of a model that never saw it or into word salad, and model utility is within the budget of
/// the base version's, all told and for this job alone.
public struct GateResult: Sendable {
    /// Item id → its forget score: the job's items and the sample of the forget set.
    public let scores: [String: ForgetItemScore]
    public let utility: Double
    /// What `utility` is the harmonic mean of, by name (the utility set's mean ROUGE-L recall and
    /// p̄ ratio, or the corpus's six TOFU figures).
    public let utilityFigures: [String: Double]
    public let baseUtility: Double
    public let limits: GateLimits
    /// The job's items the version does not forget, as it is or under one of the served types.
    public let unforgotten: [String]
    /// Items of the sample, forgotten before, that this version no longer forgets, as it is or under a served type.
    public let regressed: [String]
    /// The version as each served type (`gate.served_formats`) holds it, measured.
    public let served: [ServedFormatResult]
    /// The geometric mean of the job's items' p̄ ratios (version against base version).
    public let jobProbabilityRatio: Double
    /// The geometric mean of the fluency of the job's items' greedy answers (`AnswerFluency`,
    /// judged by the base version).
    public let jobFluency: Double
    /// The fluency of the greedy answers to the sample's items (`AnswerFluency`): an update may
    /// turn answers forgotten by earlier versions into word salad while the job's own stay fluent.
    public var sampleFluencies: [Double] = []
    /// Each of the job's items' greedy answer's fluency, by item id: the answers fluent enough are
    /// held by later updates (`HeldAnswer`).
    public var jobFluencies: [String: Double] = [:]
    /// The parent version's utility drift (its base utility less its utility, as its gate
    /// measured them); 0 for the base version, nil when the parent has no gate figures (an import).
    public let parentDrift: Double?

    public var utilityFloor: Double { baseUtility * (1 - limits.maxUtilityDrop) }
    public var isWithinUtilityBudget: Bool { utility >= utilityFloor }
    /// What this job cost: the version's drift less its parent's. A parent above the base
    /// version's utility counts as at it: a job is not charged for what an earlier one gained.
    public var requestCost: Double? { parentDrift.map { baseUtility - utility - max($0, 0) } }
    /// Each request of the job brings its share of the budget: a job that coalesced many is
    /// allowed their sum (the total budget still holds).
    public var requestCostLimit: Double { baseUtility * limits.maxUtilityDropPerRequest * Double(max(1, limits.requestCount)) }
    public var isWithinRequestBudget: Bool { requestCost.map { $0 <= requestCostLimit } ?? true }
    /// The job's answers are far less likely than a never-seen item's (`min_probability_ratio`).
    public var isOverForgotten: Bool { jobProbabilityRatio < limits.minProbabilityRatio }
    /// The sample's answers that are word salad to the base version (below `min_fluency`).
    public var sampleDegenerateCount: Int { sampleFluencies.filter { $0 < limits.minFluency }.count }
    public var sampleDegenerateShare: Double { sampleFluencies.isEmpty ? 0 : Double(sampleDegenerateCount) / Double(sampleFluencies.count) }
    /// The job's answers are word salad to the base version (`min_fluency`).
    public var isJobDegenerate: Bool { jobFluency < limits.minFluency }
    /// More of the sample's answers than `max_degenerate_share` are.
    public var isSampleDegenerate: Bool { sampleDegenerateShare > limits.maxDegenerateShare }
    public var isDegenerate: Bool { isJobDegenerate || isSampleDegenerate }
    /// Nothing but unforgotten items stops the version: the escalation ladder may go on.
    public var isPublishable: Bool { isWithinUtilityBudget && isWithinRequestBudget && !isOverForgotten && !isDegenerate }
    /// Every item forgotten and every limit held: no retry is needed.
    public var passed: Bool { unforgotten.isEmpty && isPublishable }

    /// Why the version was not published, in words with the numbers.
    public var failureReason: String? {
        var reasons: [String] = []
        let listed = { (ids: [String]) in "\(ids.prefix(5).joined(separator: ", "))\(ids.count > 5 ? ", …" : "")" }
        if !unforgotten.isEmpty {
            reasons.append("\(unforgotten.count) of the job's items are not forgotten (\(listed(unforgotten)))")
        }
        for format in served where !format.unforgotten.isEmpty {
            reasons.append(String(format: "served as %@, %d of the job's items are not forgotten (%@; p̄ ratio %.4f, geometric mean)",
                                  format.format, format.unforgotten.count, listed(format.unforgotten), format.jobProbabilityRatio))
        }
        if !isWithinUtilityBudget {
            reasons.append(String(format: "model utility %.4f is below %.4f (the base version's %.4f less %.0f %%)", utility, utilityFloor,
                                  baseUtility, limits.maxUtilityDrop * 100))
        }
        if let cost = requestCost, !isWithinRequestBudget {
            reasons.append(String(format: "the job costs %.4f of model utility, more than %.4f (%.1f %% of the base version's %.4f for each of its %d requests)",
                                  cost, requestCostLimit, limits.maxUtilityDropPerRequest * 100, baseUtility, max(1, limits.requestCount)))
        }
        if isOverForgotten {
            reasons.append(String(format: "over-forgotten: the job's answers are %.4f as likely as under the base version (geometric mean), below %.4f",
                                  jobProbabilityRatio, limits.minProbabilityRatio))
        }
        if isJobDegenerate {
            reasons.append(String(format: "degenerate: the job's answers have fluency %.5f to the base version (geometric mean), below %.5f",
                                  jobFluency, limits.minFluency))
        }
        if isSampleDegenerate {
            reasons.append(String(format: "degenerate: %d of the %d earlier forget items scored (%.1f %%) have answers of fluency below %.5f to the base version, more than %.1f %%",
                                  sampleDegenerateCount, sampleFluencies.count, sampleDegenerateShare * 100, limits.minFluency,
                                  limits.maxDegenerateShare * 100))
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    public var metrics: [String: JSONValue] {
        ["utility": .number(utility), "utility_figures": .object(utilityFigures.mapValues(JSONValue.number)),
         "base_utility": .number(baseUtility), "utility_floor": .number(utilityFloor),
         "request_cost": requestCost.map(JSONValue.number) ?? .null, "request_cost_limit": .number(requestCostLimit),
         "requests_in_job": .number(Double(max(1, limits.requestCount))),
         "job_probability_ratio": .number(jobProbabilityRatio), "min_probability_ratio": .number(limits.minProbabilityRatio),
         "job_fluency": .number(jobFluency), "min_fluency": .number(limits.minFluency),
         "sample_degenerate_share": .number(sampleDegenerateShare), "max_degenerate_share": .number(limits.maxDegenerateShare),
         "items_scored": .number(Double(scores.count)), "unforgotten": .array(unforgotten.map(JSONValue.string)),
         "regressed": .array(regressed.map(JSONValue.string)),
         "served": .object(Dictionary(uniqueKeysWithValues: served.map { ($0.format, JSONValue.object($0.metrics)) }))]
    }
}

/// The gate's limits besides the forget criteria, as one job is held to them.
public struct GateLimits: Sendable, Equatable {
    /// The most model utility any version may lose against the base version, as a fraction.
    public var maxUtilityDrop: Double
    /// The most one request may add to that loss, as a fraction of the base version's utility.
    public var maxUtilityDropPerRequest: Double
    public var minProbabilityRatio: Double
    public var minFluency: Double
    /// The most of the forget set's sample whose answers may be degenerate (`gate.max_degenerate_share`).
    public var maxDegenerateShare = 1.0
    /// The requests the job serves (a job of re-opened items alone counts as one).
    public var requestCount = 1
}

/// The geometric mean of `values`, each held to at least `floor` (a 0 would make it 0 whatever the rest).
func geometricMean(_ values: [Double], floor: Double = 1e-12) -> Double {
    values.isEmpty ? 1 : exp(values.reduce(0) { $0 + log(max($1, floor)) } / Double(values.count))
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
        let retain = try kept.retainTexts(excluding: forgetPrompts, near: [], count: configuration.retainItemCount,
                                          utilitySampleSize: configuration.gate.utilityItems, base: base, texts: texts,
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
                 forgetPrompts: Set<String>, parentDrift: Double?, registry: Registry, cancellation: JobCancellation) throws -> GateResult {
        let targets = plan.targets, sample = plan.gateSample
        let scores = try texts.scores((targets + sample).map { ($0.id, ItemText($0)) }, baseProbabilities: baseProbabilities,
                                      model: model, between: cancellation.check)
        try cancellation.check()
        let fluency = try texts.fluency((targets + sample).map { (ItemText($0), scores[$0.id]!.generated) }, judge: base.model)
        try cancellation.check()
        let (utility, baseUtility) = try kept.utility(of: model, base: base, forgetPrompts: forgetPrompts,
                                                      sampleSize: configuration.gate.utilityItems, texts: texts, registry: registry,
                                                      between: cancellation.check)
        let served = try configuration.gate.servedFormats.map { type in
            try measure(model, servedAs: type, plan: plan, baseProbabilities: baseProbabilities, base: base, forgetPrompts: forgetPrompts,
                        registry: registry, cancellation: cancellation)
        }
        // An item counts as unforgotten when the version or any served type remembers it.
        let union = { (own: [String], others: [[String]]) in
            own + others.joined().reduce(into: [String]()) { ids, id in if !own.contains(id) && !ids.contains(id) { ids.append(id) } }
        }
        let gate = configuration.gate
        var result = GateResult(scores: scores, utility: utility.value, utilityFigures: utility.figures, baseUtility: baseUtility,
                          limits: GateLimits(maxUtilityDrop: settings.maxUtilityDrop, maxUtilityDropPerRequest: gate.maxUtilityDropPerRequest,
                                             minProbabilityRatio: gate.minProbabilityRatio, minFluency: gate.minFluency,
                                             maxDegenerateShare: gate.maxDegenerateShare, requestCount: plan.members.count),
                          unforgotten: union(failing(targets, scores), served.map(\.unforgotten)),
                          regressed: union(failing(sample, scores), served.map(\.regressed)), served: served,
                          jobProbabilityRatio: geometricMean(targets.map { scores[$0.id]!.probabilityRatio }),
                          jobFluency: geometricMean(Array(fluency[..<targets.count])), sampleFluencies: Array(fluency[targets.count...]),
                          parentDrift: parentDrift)
        result.jobFluencies = Dictionary(uniqueKeysWithValues: zip(targets.map(\.id), fluency[..<targets.count]))
        return result
    }

    /// The items of `items` that `scores` does not count as forgotten.
    private func failing(_ items: [ForgetItemRecord], _ scores: [String: ForgetItemScore]) -> [String] {
        items.filter { !criteria.isForgotten(scores[$0.id]!) }.map(\.id)
    }

    /// The candidate as a GGUF file of `type` would serve it (a copy of its weights, quantised
    /// and dequantised), scored on the job's items and the sample, and its utility.
    private func measure(_ model: LlamaModel, servedAs type: GGUFServedType, plan: JobPlan, baseProbabilities: [String: Double],
                         base: BaseReference, forgetPrompts: Set<String>, registry: Registry,
                         cancellation: JobCancellation) throws -> ServedFormatResult {
        try cancellation.check()
        let served = type.servedModel(of: model)
        let targets = plan.targets, sample = plan.gateSample
        let scores = try texts.scores((targets + sample).map { ($0.id, ItemText($0)) }, baseProbabilities: baseProbabilities,
                                      model: served, between: cancellation.check)
        try cancellation.check()
        let utility = try kept.utility(of: served, base: base, forgetPrompts: forgetPrompts, sampleSize: configuration.gate.utilityItems,
                                       texts: texts, registry: registry, between: cancellation.check).version
        return ServedFormatResult(format: type.name, scores: scores, utility: utility.value, unforgotten: failing(targets, scores),
                                  regressed: failing(sample, scores),
                                  jobProbabilityRatio: geometricMean(targets.map { scores[$0.id]!.probabilityRatio }))
    }

    /// The utility drift of version `parent` as its gate recorded it: 0 for the base version,
    /// nil when it has no gate figures.
    static func drift(of parent: Int, base: BaseReference, registry: Registry) throws -> Double? {
        guard parent != base.version else { return 0 }
        guard let metrics = try registry.version(parent)?.metrics, let utility = metrics["utility"]?.doubleValue,
              let baseUtility = metrics["base_utility"]?.doubleValue else { return nil }
        return baseUtility - utility
    }
}

extension ForgetItemScore {
    /// The score as kept in the forget set's `latest_scores`.
    func record(version: Int?) -> [String: JSONValue] {
        ["rouge_l_recall": .number(rougeLRecall), "recall_beyond_prompt": .number(recallBeyondPrompt),
         "probability": .number(probability), "base_probability": .number(baseProbability),
         "probability_ratio": .number(probabilityRatio), "generated": .string(generated),
         "version": version.map { .number(Double($0)) } ?? .null]
    }
}
