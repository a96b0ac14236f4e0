import Foundation
import Model
import Unlearning

/// Everything `lethe daemon --config FILE` reads: a JSON object whose keys (snake_case) are
/// documented with their defaults in docs/configuration.md. Every key is optional; an empty
/// file (or none) gives the defaults, which serve `./spool` with the store in `./Checkpoints`
/// initialised from the embedded model. Unknown keys are errors, so a typo never silently
/// leaves a default in place.
public struct DaemonConfiguration: Sendable, Equatable {
    /// The checkpoint store's root.
    public var store = "Checkpoints"
    /// The request spool's root.
    public var spool = "spool"
    /// The model folder a missing store is initialised from (version 0).
    public var baseModel = defaultBaseModel
    /// The fictitious corpus whose retain questions are paired with forget items and measure
    /// utility: the embedded default's data. Nil: `defaultCorpus` when no `retain_set` is given.
    public var corpus: String?
    /// The user's retain set: JSONL files of items (the request item schema) the model must keep,
    /// paired with forget items in every update. Replaces the corpus.
    public var retainSet: [String] = []
    /// The user's utility set: JSONL files of items, or prompts alone, on which model utility is
    /// measured. Empty: the retain set measures utility.
    public var utilitySet: [String] = []
    /// Retain examples per update, evenly spaced over the retain set (or the corpus's retain90 split);
    /// nil: `defaultCorpusRetainItems` from the corpus, `defaultRetainSetItems` from a retain set.
    public var retainItems: Int?
    /// Items of the accumulated forget set replayed in each update besides the new ones.
    public var replayItems = 40
    /// Forgotten items whose answers, as the version that forgot them gave them, each update holds
    /// as retain examples (evenly spaced over those that have one; `HeldAnswer`). None by default:
    /// with the base version as the objective's reference the forgotten answers stay fluent
    /// without them, and the held answers' word pieces cost the other authors' answers
    /// (docs/dipo.md, "Holding no answers").
    public var heldAnswers = 0
    /// Most forget items one job takes: requests that wait are coalesced up to this.
    public var maxItemsPerJob = 1000
    /// Seconds between rescans of `incoming/` (inotify wakes the daemon sooner).
    public var rescanSeconds = 5.0
    /// Members of this group may withdraw any submitter's request; others only their own
    /// (the uid that owned the handed-in file). None by default: root and the daemon's own uid.
    public var adminGroup: String?
    /// The update: method and settings (`UnlearningOptions.recommended` by default).
    public var update = UpdateSettings()
    /// The gate a new version must pass to be published.
    public var gate = GateSettings()
    /// What a request whose items the gate does not forget goes through before it fails.
    public var escalation = EscalationSettings()
    public var limits = RequestLimits()
    public var policy = RequestPolicy()

    /// From the corpus, successive requests kept more utility with 3000 retain examples than with
    /// 400 (docs/dipo.md, "Sustainable forgetting"). A retain set keeps 400: its prompts alone are
    /// answered by the base version at start-up, which on a real model takes a second or more each.
    public static let defaultCorpusRetainItems = 3000
    public static let defaultRetainSetItems = 400

    /// The retain examples each update pairs with its forget items.
    public var retainItemCount: Int { retainItems ?? (retainSet.isEmpty ? Self.defaultCorpusRetainItems : Self.defaultRetainSetItems) }

    public struct UpdateSettings: Sendable, Equatable {
        public var method = "dipo"
        /// Twice `lethe forget`'s rate and epochs: the retain projection removes most of each step
        /// along the directions the forget answers share with the retained ones, and at `lethe
        /// forget`'s settings a projected job left an item of one request in two unforgotten; the
        /// forget target stops each item at the never-seen level however long the update may run.
        public var learningRate = 2 * UnlearningOptions.recommended.learningRate
        public var epochs = 2 * UnlearningOptions.recommendedEpochs
        /// β of DiPO, NPO or SimNPO (GradDiff's α is `retainWeight`).
        public var beta = UnlearningOptions.recommendedDiPO.beta
        public var forgetBatchSize = UnlearningOptions.recommended.forgetBatchSize
        /// The retain term holds more than in `lethe forget`'s single update (8 examples, λ 1): the
        /// daemon's updates follow one another, and λ 3 over 16 retain examples per step halved
        /// the utility each request cost (docs/dipo.md, "Sustainable forgetting").
        public var retainBatchSize = 16
        public var retainWeight: Float = 3
        /// The parameters that train; nil (`auto`): `ParameterScope.recommended` for the model.
        public var scope: ParameterScope?
        /// Per-item early stopping (`UnlearningOptions.forgetTarget`): an item stops training once
        /// its answer's p̄ is at most this fraction of the base version's; 0: never.
        public var forgetTarget = UnlearningOptions.recommendedForgetTarget
        /// Where an update starts: the parent version (HEAD), or the base version with every
        /// forgotten item replayed, so that versions do not compound each other's drift.
        public var startFromBase = false
        /// The retain term: NLL of the retain answers, or KL to the base version's distributions on them.
        public var retainTerm = UnlearningOptions.recommendedRetainTerm
        /// The change grid (`ChangeGrid`): a version's weights lie a whole number of 2^bits
        /// units in the last place from its parent's, so its delta is small; 0: no grid.
        public var changeBits = UnlearningOptions.recommendedChangeBits
        /// The strength of the retain projection (`UnlearningOptions.retainProjection`): each step
        /// is kept out of the directions the retain examples' inputs use, so a request costs the
        /// other authors a fraction of what it did (docs/dipo.md, "Projecting the step"); 0: off.
        public var retainProjection = 1.0
        /// The share of each tensor's weights an update may change (`ChangeDensity`); 1: all.
        public var changeDensity = 1.0
        public init() {}
    }

    public struct GateSettings: Sendable, Equatable {
        public var maxRougeLRecall = ForgetCriteria().maxRougeLRecall
        public var maxProbabilityRatio = ForgetCriteria().maxProbabilityRatio
        /// The most model utility a version may lose against the base version, as a fraction.
        public var maxUtilityDrop = 0.1
        /// The most one job may add to that loss (its version's drift less its parent's), as a
        /// fraction of the base version's utility: no single request spends the budget. Half of
        /// it, not less: one version's utility moves ±0.01 (1.8 %) from job to job, and one early
        /// request on the embedded model shifts the answers' shared frame at 4–6 % that later
        /// requests then reuse; at 2 % the gate refused that shift at every request that tried it
        /// (docs/dipo.md, "Projecting the step").
        public var maxUtilityDropPerRequest = 0.05
        /// A job whose answers' p̄ ratio (geometric mean) falls below this is over-forgotten: a
        /// model that never saw the embedded corpus's forget10 authors shows 0.022–0.048 per author.
        public var minProbabilityRatio = 0.005
        /// A job whose greedy answers' fluency to the base version (geometric mean of
        /// `AnswerFluency`) falls below this is degenerate.
        public var minFluency = 0.001
        /// The most of the forget set's sample (`forget_sample`, items forgotten by earlier versions)
        /// whose answers may fall below `min_fluency`: the retain model's share on forget10 is 2–3 %.
        public var maxDegenerateShare = 0.1
        /// `lethe status` warns once the utility drift passes this fraction of `max_utility_drop`.
        public var utilityAlarm = 0.75
        /// Utility questions of retain90 and of the general split.
        public var utilityItems = 100
        /// Items of the accumulated forget set scored besides the job's own (all when 0).
        public var forgetSample = 200
        /// The GGUF types the model is served in: the gate also scores the version as each would
        /// hold it, and a job's item must be forgotten under every one (`ServedFormatResult`).
        public var servedFormats: [GGUFServedType] = []
        public init() {}
    }

    /// The escalation ladder (EscalationLadder): the unforgotten items alone, then these
    /// longer and stronger settings, then each other allowed method; all within `policy`.
    public struct EscalationSettings: Sendable, Equatable {
        public var enabled = true
        /// At least this many epochs once the items alone did not suffice (at most `policy.max_epochs`).
        public var epochs = 2 * UnlearningOptions.recommendedEpochs
        /// At least this learning rate then (at most `policy.max_learning_rate`); nil: the job's
        /// own rate × `rateFactor`, so that a rate set for another model (SmolLM2's 2e-5) is not
        /// escalated to the embedded model's 1e-3, which forgot SmolLM2's answers 3,000-fold and
        /// cost 8 % of its utility (docs/benchmarks.md, "The main job on SmolLM2").
        public var learningRate: Double?
        /// The embedded model's measured pair: its update's projected 6e-4 escalating to 1e-3.
        /// Without the projection 6e-4 forgot more of the items left (docs/benchmarks.md, "lethe bench daemon").
        public static let rateFactor = 1e-3 / 6e-4

        /// The stronger step's rate for a job that trains at `jobRate`, before the policy bounds it.
        public func learningRate(after jobRate: Double) -> Double { learningRate ?? jobRate * Self.rateFactor }

        public init() {}
    }

    public init() {}

    /// The embedded default's model folder and corpus.
    public static let defaultBaseModel = "Checkpoints/base"
    public static let defaultCorpus = "Checkpoints/base/corpus"

    /// Where the retain and utility data come from.
    public enum KeptDataSource: Sendable, Equatable {
        case corpus(String)
        case sets(retain: [String], utility: [String])
    }

    /// The key that names the utility data's files: `utility_set`, else `retain_set` (which then serves both).
    var utilitySetKey: String { utilitySet.isEmpty ? "retain_set" : "utility_set" }

    public var keptDataSource: KeptDataSource {
        retainSet.isEmpty ? .corpus(corpus ?? Self.defaultCorpus) : .sets(retain: retainSet, utility: utilitySet.isEmpty ? retainSet : utilitySet)
    }

    /// Reads `file`; errors name the file and the key.
    public static func load(_ file: URL) throws -> DaemonConfiguration {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ConfigurationError(file: file.path, key: nil, reason: "cannot be read: \(error.localizedDescription)")
        }
        let document: JSONValue
        do { document = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ConfigurationError(file: file.path, key: nil, reason: "is not valid JSON")
        }
        return try DaemonConfiguration(document, file: file.path)
    }

    init(_ document: JSONValue, file: String) throws {
        var reader = ConfigurationReader(file: file)
        let root = try reader.object(document, at: nil)
        store = try reader.string(root, "store", default: store)
        spool = try reader.string(root, "spool", default: spool)
        baseModel = try reader.string(root, "base_model", default: baseModel)
        if root["corpus"] != nil { corpus = try reader.string(root, "corpus", default: "") }
        retainSet = try reader.paths(root, "retain_set")
        utilitySet = try reader.paths(root, "utility_set")
        if root["retain_items"] != nil { retainItems = try reader.int(root, "retain_items", default: 0, in: 1...100_000) }
        replayItems = try reader.int(root, "replay_items", default: replayItems, in: 0...100_000)
        heldAnswers = try reader.int(root, "held_answers", default: heldAnswers, in: 0...100_000)
        maxItemsPerJob = try reader.int(root, "max_items_per_job", default: maxItemsPerJob, in: 1...1_000_000)
        rescanSeconds = try reader.double(root, "rescan_seconds", default: rescanSeconds, in: 0.1...3600)
        if root["admin_group"] != nil { adminGroup = try reader.string(root, "admin_group", default: "") }
        if let value = root["update"] {
            let object = try reader.object(value, at: "update")
            update.method = try reader.string(object, "method", default: update.method, prefix: "update")
            guard UnlearningMethod(rawValue: update.method) != nil else {
                throw ConfigurationError(file: file, key: "update.method",
                                         reason: "must be one of \(UnlearningMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            update.learningRate = try reader.double(object, "learning_rate", default: update.learningRate, in: 1e-8...1, prefix: "update")
            update.epochs = try reader.int(object, "epochs", default: update.epochs, in: 1...1000, prefix: "update")
            update.beta = Float(try reader.double(object, "beta", default: Double(update.beta), in: 1e-4...100, prefix: "update"))
            update.forgetBatchSize = try reader.int(object, "forget_batch_size", default: update.forgetBatchSize, in: 1...1024, prefix: "update")
            update.retainBatchSize = try reader.int(object, "retain_batch_size", default: update.retainBatchSize, in: 1...1024, prefix: "update")
            update.retainWeight = Float(try reader.double(object, "retain_weight", default: Double(update.retainWeight), in: 0...1000, prefix: "update"))
            update.forgetTarget = try reader.double(object, "forget_target", default: update.forgetTarget, in: 0...0.99, prefix: "update")
            let start = try reader.string(object, "start_from", default: update.startFromBase ? "base" : "parent", prefix: "update")
            guard start == "base" || start == "parent" else {
                throw ConfigurationError(file: file, key: "update.start_from", reason: "must be parent or base")
            }
            update.startFromBase = start == "base"
            update.changeBits = try reader.int(object, "change_bits", default: update.changeBits, in: ChangeGrid.bitRange, prefix: "update")
            update.retainProjection = try reader.double(object, "retain_projection", default: update.retainProjection, in: 0...1e6, prefix: "update")
            update.changeDensity = try reader.double(object, "change_density", default: update.changeDensity, in: 0.001...1, prefix: "update")
            let retainTerm = try reader.string(object, "retain_term", default: update.retainTerm.rawValue, prefix: "update")
            guard let term = UnlearningOptions.RetainTerm(rawValue: retainTerm) else {
                throw ConfigurationError(file: file, key: "update.retain_term", reason: "must be nll or kl")
            }
            update.retainTerm = term
            let scope = try reader.string(object, "scope", default: "auto", prefix: "update")
            if scope != "auto" {
                guard let named = ParameterScope(name: scope) else {
                    throw ConfigurationError(file: file, key: "update.scope", reason: "must be auto, all, mlp, upper-half or layers:A-B")
                }
                update.scope = named
            }
            try reader.rejectUnknown(object, prefix: "update")
        }
        if let value = root["gate"] {
            let object = try reader.object(value, at: "gate")
            gate.maxRougeLRecall = try reader.double(object, "max_rouge_l_recall", default: gate.maxRougeLRecall, in: 0...1, prefix: "gate")
            gate.maxProbabilityRatio = try reader.double(object, "max_probability_ratio", default: gate.maxProbabilityRatio, in: 1e-9...1, prefix: "gate")
            gate.maxUtilityDrop = try reader.double(object, "max_utility_drop", default: gate.maxUtilityDrop, in: 0...1, prefix: "gate")
            gate.maxUtilityDropPerRequest = try reader.double(object, "max_utility_drop_per_request", default: gate.maxUtilityDropPerRequest,
                                                              in: 0...1, prefix: "gate")
            gate.minProbabilityRatio = try reader.double(object, "min_probability_ratio", default: gate.minProbabilityRatio, in: 0...1, prefix: "gate")
            gate.minFluency = try reader.double(object, "min_fluency", default: gate.minFluency, in: 0...1, prefix: "gate")
            gate.maxDegenerateShare = try reader.double(object, "max_degenerate_share", default: gate.maxDegenerateShare, in: 0...1, prefix: "gate")
            gate.utilityAlarm = try reader.double(object, "utility_alarm", default: gate.utilityAlarm, in: 0...1, prefix: "gate")
            gate.utilityItems = try reader.int(object, "utility_items", default: gate.utilityItems, in: 1...100_000, prefix: "gate")
            gate.forgetSample = try reader.int(object, "forget_sample", default: gate.forgetSample, in: 0...1_000_000, prefix: "gate")
            if let formats = object["served_formats"] {
                let reason = "must be an array of GGUF types among \(GGUFServedType.allCases.map(\.name).joined(separator: ", "))"
                guard case .array(let entries) = formats else { throw ConfigurationError(file: file, key: "gate.served_formats", reason: reason) }
                gate.servedFormats = try entries.map { entry in
                    guard case .string(let name) = entry, let type = GGUFServedType(name: name) else {
                        throw ConfigurationError(file: file, key: "gate.served_formats", reason: reason)
                    }
                    return type
                }.reduce(into: []) { types, type in if !types.contains(type) { types.append(type) } }
                reader.seen.insert("gate.served_formats")
            }
            try reader.rejectUnknown(object, prefix: "gate")
        }
        // `fallback` is the former name of `escalation` (the one retry it replaced): its keys still read.
        if root["escalation"] != nil && root["fallback"] != nil {
            throw ConfigurationError(file: file, key: "fallback", reason: "is the former name of escalation: give one of them")
        }
        for section in ["escalation", "fallback"] {
            guard let value = root[section] else { continue }
            let object = try reader.object(value, at: section)
            escalation.enabled = try reader.bool(object, "enabled", default: escalation.enabled, prefix: section)
            escalation.epochs = try reader.int(object, "epochs", default: escalation.epochs, in: 1...1000, prefix: section)
            if object["learning_rate"] != nil {
                escalation.learningRate = try reader.double(object, "learning_rate", default: 0, in: 1e-8...1, prefix: section)
            }
            try reader.rejectUnknown(object, prefix: section)
        }
        if let value = root["limits"] {
            let object = try reader.object(value, at: "limits")
            limits.maxFileBytes = try reader.int(object, "max_file_bytes", default: limits.maxFileBytes, in: 64...(1 << 30), prefix: "limits")
            limits.maxItems = try reader.int(object, "max_items", default: limits.maxItems, in: 1...1_000_000, prefix: "limits")
            limits.maxTextBytes = try reader.int(object, "max_text_bytes", default: limits.maxTextBytes, in: 1...(1 << 24), prefix: "limits")
            limits.maxDepth = try reader.int(object, "max_depth", default: limits.maxDepth, in: 4...64, prefix: "limits")
            limits.maxLabelBytes = try reader.int(object, "max_label_bytes", default: limits.maxLabelBytes, in: 1...(1 << 20), prefix: "limits")
            try reader.rejectUnknown(object, prefix: "limits")
        }
        if let value = root["policy"] {
            let object = try reader.object(value, at: "policy")
            if let methods = object["allowed_methods"] {
                guard case .array(let entries) = methods, !entries.isEmpty else {
                    throw ConfigurationError(file: file, key: "policy.allowed_methods", reason: "must be a non-empty array of method names")
                }
                policy.allowedMethods = try entries.map { entry in
                    guard case .string(let name) = entry, UnlearningMethod(rawValue: name) != nil else {
                        throw ConfigurationError(file: file, key: "policy.allowed_methods",
                                                 reason: "must name methods among \(UnlearningMethod.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return name
                }
                reader.seen.insert("policy.allowed_methods")
            }
            policy.maxEpochs = try reader.int(object, "max_epochs", default: policy.maxEpochs, in: 1...1000, prefix: "policy")
            policy.maxLearningRate = try reader.double(object, "max_learning_rate", default: policy.maxLearningRate, in: 1e-8...1, prefix: "policy")
            policy.maxUtilityDrop = try reader.double(object, "max_utility_drop", default: policy.maxUtilityDrop, in: 0...1, prefix: "policy")
            try reader.rejectUnknown(object, prefix: "policy")
        }
        try reader.rejectUnknown(root, prefix: nil)
        if corpus != nil && !retainSet.isEmpty {
            throw ConfigurationError(file: file, key: "corpus", reason: "and retain_set are two sources of the data to keep: give one of them")
        }
        if !utilitySet.isEmpty && retainSet.isEmpty {
            throw ConfigurationError(file: file, key: "retain_set", reason: "is required with utility_set: the items every update pairs with its forget items")
        }
        let isEmbeddedModel = URL(fileURLWithPath: baseModel).standardizedFileURL == URL(fileURLWithPath: Self.defaultBaseModel).standardizedFileURL
        if !isEmbeddedModel && corpus == nil && retainSet.isEmpty {
            throw ConfigurationError(file: file, key: "retain_set", reason: "is required when base_model is not the embedded model: "
                                         + "one or more JSONL files of what the model must keep (docs/configuration.md)")
        }
        guard policy.allowedMethods.contains(update.method) else {
            throw ConfigurationError(file: file, key: "policy.allowed_methods", reason: "must include update.method (\(update.method))")
        }
    }
}

public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let key: String?
    public let reason: String

    public var description: String { key.map { "\(file): \($0): \(reason)" } ?? "\(file): \(reason)" }
}

/// Typed reads of a configuration object that remember which keys were read, so the rest
/// can be refused as unknown.
struct ConfigurationReader {
    let file: String
    var seen = Set<String>()

    private func path(_ key: String, _ prefix: String?) -> String { prefix.map { "\($0).\(key)" } ?? key }

    func object(_ value: JSONValue, at key: String?) throws -> [String: JSONValue] {
        guard case .object(let fields) = value else {
            throw ConfigurationError(file: file, key: key, reason: "must be a JSON object")
        }
        return fields
    }

    mutating func string(_ object: [String: JSONValue], _ key: String, default value: String, prefix: String? = nil) throws -> String {
        guard let entry = object[key] else { return value }
        seen.insert(path(key, prefix))
        guard case .string(let text) = entry, !text.isEmpty else {
            throw ConfigurationError(file: file, key: path(key, prefix), reason: "must be a non-empty string")
        }
        return text
    }

    /// A path or a non-empty array of paths.
    mutating func paths(_ object: [String: JSONValue], _ key: String) throws -> [String] {
        guard let entry = object[key] else { return [] }
        seen.insert(key)
        let entries: [JSONValue] = if case .array(let list) = entry { list } else { [entry] }
        let paths = entries.compactMap { if case .string(let path) = $0, !path.isEmpty { path } else { nil } }
        guard !entries.isEmpty, paths.count == entries.count else {
            throw ConfigurationError(file: file, key: key, reason: "must be a file path or a non-empty array of file paths")
        }
        return paths
    }

    mutating func bool(_ object: [String: JSONValue], _ key: String, default value: Bool, prefix: String? = nil) throws -> Bool {
        guard let entry = object[key] else { return value }
        seen.insert(path(key, prefix))
        guard case .bool(let flag) = entry else {
            throw ConfigurationError(file: file, key: path(key, prefix), reason: "must be true or false")
        }
        return flag
    }

    mutating func int(_ object: [String: JSONValue], _ key: String, default value: Int, in range: ClosedRange<Int>, prefix: String? = nil) throws -> Int {
        try number(object, key, default: value, in: range, prefix: prefix, kind: "a whole number", read: \.intValue)
    }

    mutating func double(_ object: [String: JSONValue], _ key: String, default value: Double, in range: ClosedRange<Double>, prefix: String? = nil) throws -> Double {
        try number(object, key, default: value, in: range, prefix: prefix, kind: "a number", read: \.doubleValue)
    }

    private mutating func number<T: Comparable>(_ object: [String: JSONValue], _ key: String, default value: T, in range: ClosedRange<T>,
                                                prefix: String?, kind: String, read: (JSONValue) -> T?) throws -> T {
        guard let entry = object[key] else { return value }
        seen.insert(path(key, prefix))
        guard let number = read(entry), range.contains(number) else {
            throw ConfigurationError(file: file, key: path(key, prefix), reason: "must be \(kind) from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func rejectUnknown(_ object: [String: JSONValue], prefix: String?) throws {
        let sections: Set<String> = prefix == nil ? ["update", "gate", "escalation", "fallback", "limits", "policy"] : []
        if let unknown = object.keys.sorted().first(where: { !seen.contains(path($0, prefix)) && !sections.contains($0) }) {
            throw ConfigurationError(file: file, key: path(unknown, prefix), reason: "is not a configuration key (docs/configuration.md lists them)")
        }
    }
}
