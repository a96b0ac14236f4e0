import Foundation
import Unlearning
import Corpus

/// `lethe bench sequential` (MUSE's sustainability): a forget split cut by author into
/// disjoint requests, applied one after another, each update starting from the previous
/// version; after each, model utility and the forget quality of everything forgotten so far.
public struct SequentialBenchmark {
    public struct Plan: Sendable, Codable, Equatable {
        public var methods: [UnlearningMethod]
        public var split: CorpusSplit
        public var requests: Int
        public var seeds: [UInt64]
        public var budget: UnlearningBudget
        public var retainItems: Int
        public var utilityItems: Int
        public var maxNewTokens: Int

        public static let standard = Plan(methods: UnlearningMethod.allCases, split: .forget10, requests: 4, seeds: [1],
                                          budget: TofuBenchmark.Plan.standard.budget,
                                          retainItems: TofuBenchmark.Plan.standard.retainItems,
                                          utilityItems: TofuBenchmark.Plan.standard.utilityItems,
                                          maxNewTokens: TofuBenchmark.Plan.standard.maxNewTokens)

        public static let quick = Plan(methods: UnlearningMethod.allCases, split: .forget10, requests: 2, seeds: [1],
                                       budget: TofuBenchmark.Plan.quick.budget,
                                       retainItems: TofuBenchmark.Plan.quick.retainItems,
                                       utilityItems: TofuBenchmark.Plan.quick.utilityItems,
                                       maxNewTokens: TofuBenchmark.Plan.quick.maxNewTokens)

        public var runCount: Int { methods.count * seeds.count * requests }
    }

    public struct Report: Sendable, Codable, Equatable {
        public var plan: Plan
        public var settings: [SettingSelection]
        /// The base model's figures on the whole split.
        public var base: UnlearningScore
        /// The authors of each request, in order.
        public var requestAuthors: [[String]]
        public var results: [BenchmarkRun]
        public var seconds: Double
    }

    public let plan: Plan
    public let benchmark: UnlearningBenchmark
    public let corpus: Corpus
    /// Each method's setting, as the TOFU benchmark chose it.
    public let settings: [SettingSelection]

    public init(plan: Plan, benchmark: UnlearningBenchmark, corpus: Corpus, settings: [SettingSelection]) {
        self.plan = plan
        self.benchmark = benchmark
        self.corpus = corpus
        self.settings = settings
    }

    /// The split's authors dealt in order into `plan.requests` groups of (nearly) equal size,
    /// each group's questions one request. Throws when there are fewer authors than requests.
    public static func requests(of plan: Plan, in corpus: Corpus) throws -> [[CorpusItem]] {
        let authors = corpus.authorIDs(in: plan.split)
        guard authors.count >= plan.requests, plan.requests > 0 else { throw UnlearningBenchmarkError.emptyForgetSplit(plan.split) }
        let items = corpus.items(in: plan.split)
        return (0..<plan.requests).map { request in
            let group = Set(authors[request * authors.count / plan.requests..<(request + 1) * authors.count / plan.requests])
            return items.filter { $0.author.map(group.contains) ?? false }
        }
    }

    public func run(onRun: (BenchmarkRun, Int, Int) -> Void = { _, _, _ in }) throws -> Report {
        let clock = ContinuousClock(), start = clock.now
        let requests = try Self.requests(of: plan, in: corpus)
        let base = try benchmark.scoreBase(forget: requests.flatMap { $0 })
        var results: [BenchmarkRun] = []
        for method in plan.methods {
            guard let selection = settings.first(where: { $0.method == method }) else {
                throw UnlearningBenchmarkError.settingsMissing(method: method.rawValue, file: "the chosen settings")
            }
            for seed in plan.seeds {
                results += try benchmark.runSequence(method: method, setting: selection.setting, split: plan.split, requests: requests,
                                                     seed: seed) { run in
                    onRun(run, results.count + (run.step ?? 0), plan.runCount)
                }
            }
        }
        let requestAuthors = requests.map { Array(Set($0.compactMap(\.author))).sorted() }
        return Report(plan: plan, settings: settings, base: base, requestAuthors: requestAuthors, results: results,
                      seconds: (clock.now - start).seconds)
    }
}
