import Foundation
import Unlearning
import Corpus

/// `lethe bench tofu`: every method on each forget split under the same budget, its learning
/// rate and retain weight chosen by the same grid on a tuning split and seed, then run with
/// other seeds on every split.
public struct TofuBenchmark {
    public struct Plan: Sendable, Codable, Equatable {
        public var methods: [UnlearningMethod]
        public var splits: [CorpusSplit]
        public var grid: MethodGrid
        public var tuningSplit: CorpusSplit
        /// Not among `seeds`: the final figures never come from the seed the grid was judged on.
        public var tuningSeed: UInt64
        public var seeds: [UInt64]
        public var budget: UnlearningBudget
        /// The minimum model utility, as a fraction of the base model's, a chosen setting must keep.
        public var utilityFloor: Double
        /// Retain examples paired with the forget batches (evenly spaced over retain90).
        public var retainItems: Int
        /// Items of retain90 and of the general split model utility is measured on.
        public var utilityItems: Int
        /// Most tokens per greedy answer.
        public var maxNewTokens: Int

        /// The committed benchmark (docs/benchmarks.md).
        public static let standard = Plan(
            methods: UnlearningMethod.allCases, splits: CorpusSplit.forgetSplits,
            grid: MethodGrid(learningRates: [1e-4, 3e-4, 1e-3], constantCount: 2),
            tuningSplit: .forget05, tuningSeed: 100, seeds: [1, 2, 3],
            budget: UnlearningBudget(epochs: 5, forgetBatchSize: 8, retainBatchSize: 8),
            utilityFloor: 0.9, retainItems: 400, utilityItems: 100, maxNewTokens: 64)

        /// Every stage at its smallest, for tests on a quick model.
        public static let quick = Plan(
            methods: UnlearningMethod.allCases, splits: [.forget10],
            grid: MethodGrid(learningRates: [1e-3], constantCount: 1),
            tuningSplit: .forget05, tuningSeed: 100, seeds: [1, 2],
            budget: UnlearningBudget(epochs: 1, forgetBatchSize: 8, retainBatchSize: 8),
            utilityFloor: 0.9, retainItems: 16, utilityItems: 6, maxNewTokens: 8)

        public var runCount: Int {
            methods.reduce(0) { $0 + grid.settings(for: $1).count } + methods.count * splits.count * seeds.count
        }
    }

    public struct BaseScore: Sendable, Codable, Equatable {
        public var split: CorpusSplit
        public var score: UnlearningScore
    }

    public struct Report: Sendable, Codable, Equatable {
        public var plan: Plan
        /// The base model's figures on each split (and the tuning split): before any update.
        public var base: [BaseScore]
        public var grid: [BenchmarkRun]
        public var chosen: [SettingSelection]
        public var results: [BenchmarkRun]
        public var seconds: Double
    }

    public enum Stage: String, Sendable { case base, grid, final }

    public let plan: Plan
    public let benchmark: UnlearningBenchmark
    public let corpus: Corpus

    public init(plan: Plan, benchmark: UnlearningBenchmark, corpus: Corpus) {
        self.plan = plan
        self.benchmark = benchmark
        self.corpus = corpus
    }

    /// The forget items of every split the plan names; the evaluator must have measured the
    /// retain model on all of them.
    public static func forgetItems(of plan: Plan, in corpus: Corpus) -> [CorpusItem] {
        let ids = Set((plan.splits + [plan.tuningSplit]).flatMap { corpus.items(in: $0).map(\.id) })
        return corpus.items.filter { ids.contains($0.id) }
    }

    /// Runs the plan; `onRun` gets each run as it finishes, with the count done and the total.
    public func run(onRun: (Stage, BenchmarkRun, Int, Int) -> Void = { _, _, _, _ in }) throws -> Report {
        let clock = ContinuousClock(), start = clock.now
        let total = plan.runCount
        var done = 0
        func items(_ split: CorpusSplit) throws -> [CorpusItem] {
            let items = corpus.items(in: split)
            guard !items.isEmpty else { throw UnlearningBenchmarkError.emptyForgetSplit(split) }
            return items
        }
        var base: [BaseScore] = []
        for split in plan.splits + (plan.splits.contains(plan.tuningSplit) ? [] : [plan.tuningSplit]) {
            base.append(BaseScore(split: split, score: try benchmark.scoreBase(forget: try items(split))))
        }
        let baseUtility = base.first { $0.split == plan.tuningSplit }!.score.modelUtility

        var grid: [BenchmarkRun] = []
        var chosen: [SettingSelection] = []
        let tuningItems = try items(plan.tuningSplit)
        for method in plan.methods {
            var tried: [BenchmarkRun] = []
            for setting in plan.grid.settings(for: method) {
                let run = try benchmark.run(method: method, setting: setting, split: plan.tuningSplit, forget: tuningItems,
                                            seed: plan.tuningSeed)
                tried.append(run)
                done += 1
                onRun(.grid, run, done, total)
            }
            grid += tried
            chosen.append(SettingSelection.choose(from: tried, baseUtility: baseUtility, floor: plan.utilityFloor)!)
        }

        var results: [BenchmarkRun] = []
        for split in plan.splits {
            let forget = try items(split)
            for selection in chosen {
                for seed in plan.seeds {
                    let run = try benchmark.run(method: selection.method, setting: selection.setting, split: split, forget: forget, seed: seed)
                    results.append(run)
                    done += 1
                    onRun(.final, run, done, total)
                }
            }
        }
        return Report(plan: plan, base: base, grid: grid, chosen: chosen, results: results, seconds: (clock.now - start).seconds)
    }
}
