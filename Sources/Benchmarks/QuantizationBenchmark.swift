import Foundation
import Model
import Unlearning
import Corpus

/// `lethe bench quantization`: does forgetting survive the format a model is served in? Each
/// method, with the setting `lethe bench tofu` chose for it, unlearns a forget split once;
/// then the version is scored as it is and as each GGUF type would serve it (every tensor
/// quantised and dequantised as `llama-quantize` does). An item counts as forgotten by the
/// daemon gate's criteria; one forgotten in Float32 but not under a type has come back.
public struct QuantizationBenchmark {
    public struct Plan: Sendable, Codable, Equatable {
        public var methods: [UnlearningMethod]
        public var split: CorpusSplit
        public var seed: UInt64
        public var types: [String]
        public var budget: UnlearningBudget
        public var retainItems: Int
        public var utilityItems: Int
        public var maxNewTokens: Int

        public static let standard = Plan(methods: UnlearningMethod.allCases, split: .forget10, seed: 1,
                                          types: [GGUFServedType.q8_0, .q4_k_m, .q4_0].map(\.name),
                                          budget: TofuBenchmark.Plan.standard.budget, retainItems: TofuBenchmark.Plan.standard.retainItems,
                                          utilityItems: TofuBenchmark.Plan.standard.utilityItems,
                                          maxNewTokens: TofuBenchmark.Plan.standard.maxNewTokens)

        public static let quick = Plan(methods: [.dipo, .npo], split: .forget10, seed: 1, types: [GGUFServedType.q8_0, .q4_0].map(\.name),
                                       budget: TofuBenchmark.Plan.quick.budget, retainItems: TofuBenchmark.Plan.quick.retainItems,
                                       utilityItems: TofuBenchmark.Plan.quick.utilityItems,
                                       maxNewTokens: TofuBenchmark.Plan.quick.maxNewTokens)

        /// The types measured, each a `GGUFServedType` name; "f32" (the version itself) first.
        var servedTypes: [GGUFServedType] { [.f32] + types.compactMap(GGUFServedType.init(name:)).filter { $0 != .f32 } }
    }

    /// One model (the base model, or a method's version) as one type serves it.
    public struct Row: Sendable, Codable, Equatable {
        /// nil for the base model.
        public var method: UnlearningMethod?
        public var type: String
        public var score: UnlearningScore
        /// Items that meet the gate's forget criteria.
        public var forgotten: Int
        /// Items forgotten in Float32 but not under this type.
        public var cameBack: Int
    }

    public struct Report: Sendable, Codable, Equatable {
        public var plan: Plan
        public var settings: [SettingSelection]
        public var itemCount: Int
        public var criteria: ForgetCriteria
        public var rows: [Row]
        public var seconds: Double
    }

    public let plan: Plan
    public let benchmark: UnlearningBenchmark
    public let corpus: Corpus
    public let settings: [SettingSelection]
    public let criteria = ForgetCriteria()

    public init(plan: Plan, benchmark: UnlearningBenchmark, corpus: Corpus, settings: [SettingSelection]) {
        (self.plan, self.benchmark, self.corpus, self.settings) = (plan, benchmark, corpus, settings)
    }

    /// `onRow` gets each row as it is measured, with the count done and the total.
    public func run(onRow: (Row, Int, Int) -> Void = { _, _, _ in }) throws -> Report {
        let clock = ContinuousClock(), start = clock.now
        let forget = corpus.items(in: plan.split)
        let items = forget.map { (id: $0.id, prompt: $0.question, completion: $0.answer) }
        let format = benchmark.evaluator.format
        benchmark.restoreBase()
        let baseProbabilities = try ForgetItemScore.probabilities(items, model: benchmark.model, format: format)
        let total = (plan.methods.count + 1) * plan.servedTypes.count
        var rows: [Row] = []
        func measure(_ method: UnlearningMethod?) throws {
            var forgottenInFloat: Set<String> = []
            for type in plan.servedTypes {
                let served = type.servedModel(of: benchmark.model)
                let scores = try ForgetItemScore.measure(items, baseProbabilities: baseProbabilities, model: served, format: format,
                                                         maxNewTokens: plan.maxNewTokens)
                let forgotten = Set(scores.filter(criteria.isForgotten).map(\.id))
                if type == .f32 { forgottenInFloat = forgotten }
                let row = Row(method: method, type: type.name, score: try benchmark.evaluator.score(model: served, forget: forget),
                              forgotten: forgotten.count, cameBack: forgottenInFloat.subtracting(forgotten).count)
                rows.append(row)
                onRow(row, rows.count, total)
            }
        }
        try measure(nil)
        for method in plan.methods {
            guard let selection = settings.first(where: { $0.method == method }) else {
                throw UnlearningBenchmarkError.settingsMissing(method: method.rawValue, file: "the chosen settings")
            }
            _ = try benchmark.run(method: method, setting: selection.setting, split: plan.split, forget: forget, seed: plan.seed)
            try measure(method)
        }
        return Report(plan: plan, settings: settings, itemCount: items.count, criteria: criteria, rows: rows,
                      seconds: (clock.now - start).seconds)
    }
}
