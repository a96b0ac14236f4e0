import ArgumentParser
import Foundation
import Unlearning
import Benchmarks
import Corpus

struct BenchTofu: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tofu",
        abstract: "Compare DiPO with its baselines on the miniature TOFU benchmark: forget quality against model utility.",
        discussion: """
            From the base model (every author) and the retain model (without forget10): each method's learning rate and \
            own constant (β for DiPO, NPO and SimNPO; GradDiff's α) are chosen by the same grid on forget05 (seed 100), then each method runs on forget01, forget05 \
            and forget10 with seeds 1, 2 and 3 under the same budget. Prints the grid, the choices and the results; with \
            --write-docs docs, also writes docs/benchmarks.md's section, docs/img/bench-tofu.svg and docs/bench/bench-tofu.json.
            """
    )

    @OptionGroup var options: UnlearningBenchmarkOptions
    @Option(help: "Only these methods, comma-separated (default: every one).")
    var methods: String?
    @Option(help: "Only these forget splits, comma-separated (default: forget01, forget05, forget10).")
    var splits: String?
    @Option(help: "The parameters that train in every update: all, mlp, upper-half or layers:A-B (default: all).")
    var scope: ParameterScope?
    @Option(help: "Every update ends on the change grid of 2^N units in the last place around its parent's weights (default: none).")
    var changeBits: Int?
    @Option(help: "λ of every update's retain term (default: 1, `lethe forget`'s; the daemon's is 3).")
    var retainWeight: Float?
    @Option(help: "Retain examples per step (default: 8, `lethe forget`'s; the daemon's is 16).")
    var retainBatchSize: Int?
    @Option(help: "Every update keeps its steps out of the retain examples' directions at this strength (default: none; the daemon's is 1).")
    var retainProjection: Double?

    func validate() throws {
        if options.writeDocs != nil && (methods != nil || splits != nil || scope != nil || changeBits != nil || retainWeight != nil
            || retainBatchSize != nil || retainProjection != nil) {
            throw ValidationError("--write-docs writes the committed report: run the whole benchmark, without --methods, --splits, --scope, --change-bits, --retain-weight, --retain-batch-size or --retain-projection")
        }
        if let retainProjection, !(retainProjection > 0 && retainProjection.isFinite) { throw ValidationError("--retain-projection must be positive") }
        if let changeBits, !ChangeGrid.bitRange.contains(changeBits) { throw ValidationError("--change-bits must be in \(ChangeGrid.bitRange)") }
        if let retainWeight, !(retainWeight >= 0 && retainWeight.isFinite) { throw ValidationError("--retain-weight must be a number ≥ 0") }
        if let retainBatchSize, !(1...1024).contains(retainBatchSize) { throw ValidationError("--retain-batch-size must be in 1...1024") }
    }

    func run() throws {
        var plan = options.quick ? TofuBenchmark.Plan.quick : .standard
        if let methods {
            plan.methods = try methods.split(separator: ",").map {
                guard let method = UnlearningMethod(rawValue: String($0)) else { throw ValidationError("--methods: no method named \($0)") }
                return method
            }
        }
        if let splits {
            plan.splits = try splits.split(separator: ",").map {
                guard let split = CorpusSplit(rawValue: String($0)), CorpusSplit.forgetSplits.contains(split) else {
                    throw ValidationError("--splits: \($0) is not a forget split")
                }
                return split
            }
        }
        plan.budget.scope = scope
        plan.budget.changeGrid = changeBits.map { ChangeGrid(bits: $0) }
        if let retainWeight { plan.budget.retainWeight = retainWeight }
        if let retainBatchSize { plan.budget.retainBatchSize = retainBatchSize }
        plan.budget.retainProjection = retainProjection
        options.log("loading the models and measuring the retain model on \(plan.splits.map(\.rawValue).joined(separator: ", "))")
        let (benchmark, corpus) = try options.makeBenchmark(budget: plan.budget, retainItems: plan.retainItems,
                                                            utilityItems: plan.utilityItems, maxNewTokens: plan.maxNewTokens) {
            TofuBenchmark.forgetItems(of: plan, in: $0)
        }
        let start = ContinuousClock.now
        let report = try TofuBenchmark(plan: plan, benchmark: benchmark, corpus: corpus).run { stage, run, done, total in
            options.logProgress(done, of: total, since: start, String(format: "%@ %@ %@ lr %g %@ seed %llu: forget quality %@, utility %.3f, forget ROUGE-L %.3f, MIA AUC %.3f, %.1f s",
                               stage.rawValue, run.method.rawValue, run.split.rawValue, run.learningRate, BenchmarkDocument.constant(run.method, run.constant), run.seed,
                               significant(run.forgetQuality), run.modelUtility, run.forgetRouge, run.miaAuc, run.seconds))
        }
        try options.finish(BenchmarkDocument(tofu: report, json: try encodeJSON(report)))
    }
}

struct BenchSequential: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequential",
        abstract: "Apply forget10 as four requests one after another and follow utility and forget quality (MUSE sustainability).",
        discussion: """
            Each method uses the setting that `lethe bench tofu` chose for it, read from --settings (the JSON that \
            `lethe bench tofu --write-docs docs` writes, or its --json output).
            """
    )

    @OptionGroup var options: UnlearningBenchmarkOptions
    @Option(help: "The TOFU benchmark's report, whose chosen settings each method uses.")
    var settings = "docs/bench/bench-tofu.json"

    func run() throws {
        let plan = options.quick ? SequentialBenchmark.Plan.quick : .standard
        let (benchmark, corpus, chosen) = try options.makeBenchmark(settingsPath: settings, plan: plan)
        let start = ContinuousClock.now
        let report = try SequentialBenchmark(plan: plan, benchmark: benchmark, corpus: corpus, settings: chosen).run { run, done, total in
            options.logProgress(done, of: total, since: start, String(format: "%@ step %d seed %llu: forget quality %@, utility %.3f, forget ROUGE-L %.3f, MIA AUC %.3f, %.1f s",
                               run.method.rawValue,
                               run.step ?? 0, run.seed, significant(run.forgetQuality), run.modelUtility, run.forgetRouge,
                               run.miaAuc, run.seconds))
        }
        try options.finish(BenchmarkDocument(sequential: report, json: try encodeJSON(report)))
    }
}
