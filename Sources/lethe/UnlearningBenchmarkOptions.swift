import ArgumentParser
import Foundation
import Kernels
import Model
import Unlearning
import Benchmarks
import Corpus

/// What `lethe bench tofu` and `lethe bench sequential` share: the base and retain models, the
/// corpus, and where results go.
struct UnlearningBenchmarkOptions: ParsableArguments {
    @Option(help: "The base model folder (trained on every author).")
    var model = "Checkpoints/base"
    @Option(help: "The retain model folder (trained without forget10), with the base model's tokenizer.")
    var retainModel = "Checkpoints/base/retain"
    @Option(help: "The corpus folder (default: the base model's corpus/).")
    var corpus: String?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Flag(help: "The smallest plan, for tests with a quick model (lethe train-base --quick); not a measurement.")
    var quick = false
    @Flag(help: "Print the report as JSON.")
    var json = false
    @Option(help: "Write the Markdown table, the SVG plot and the JSON report into this docs folder (benchmarks.md, img/, bench/).")
    var writeDocs: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    var corpusFolder: URL { URL(fileURLWithPath: corpus ?? (model as NSString).appendingPathComponent("corpus")) }

    /// Loads both models and the corpus, measures the retain model on `forgetItems`, and
    /// returns the benchmark ready to run. The two models must share one tokenizer: forget
    /// quality compares their likelihoods token for token.
    func makeBenchmark(budget: UnlearningBudget, retainItems: Int, utilityItems: Int, maxNewTokens: Int,
                       forgetItems: (Corpus) throws -> [CorpusItem]) throws -> (UnlearningBenchmark, Corpus) {
        if let threads { Parallelism.setThreadCount(threads) }
        let baseFolder = URL(fileURLWithPath: model), retainFolder = URL(fileURLWithPath: retainModel)
        try Self.requireSameTokenizer(model: model, retainModel: retainModel)
        let corpus = try Corpus.load(from: corpusFolder)
        let baseModel = try ModelFolder.load(baseFolder)
        let evaluator = try UnlearningEvaluator(corpus: corpus, retainModel: try ModelFolder.load(retainFolder), forgetItems: try forgetItems(corpus),
                                                format: try ConversationFormat(modelFolder: baseFolder, config: baseModel.config),
                                                utilityItems: utilityItems, maxNewTokens: maxNewTokens)
        let benchmark = try UnlearningBenchmark(model: baseModel, evaluator: evaluator,
                                                budget: budget, retainItems: corpus.items(in: .retain90).evenlySpaced(retainItems))
        return (benchmark, corpus)
    }

    /// For the benches that reuse `lethe bench tofu`'s choices: those of the plan's methods, read
    /// from its report at `settingsPath`, and the benchmark on all of the plan's split.
    func makeBenchmark(settingsPath: String, plan: some SplitBenchmarkPlan) throws -> (UnlearningBenchmark, Corpus, [SettingSelection]) {
        let chosen = try Self.chosenSettings(in: settingsPath, for: plan.methods)
        log("loading the models and measuring the retain model on \(plan.split.rawValue)")
        let (benchmark, corpus) = try makeBenchmark(budget: plan.budget, retainItems: plan.retainItems, utilityItems: plan.utilityItems,
                                                    maxNewTokens: plan.maxNewTokens) { $0.items(in: plan.split) }
        return (benchmark, corpus, chosen)
    }

    /// Logs one finished run, `done` of `total` since `start`, with the time the rest should take.
    func logProgress(_ done: Int, of total: Int, since start: ContinuousClock.Instant, _ detail: String) {
        let elapsed = (ContinuousClock.now - start).seconds
        log(String(format: "[%d/%d ETA %@] ", done, total, clockDuration(elapsed / Double(done) * Double(total - done))) + detail)
    }

    /// Writes `document` into the docs folder if asked, and prints its Markdown or its JSON.
    func finish(_ document: BenchmarkDocument) throws {
        if let writeDocs { try document.write(into: URL(fileURLWithPath: writeDocs)) }
        print(json ? document.json : document.markdown)
    }

    /// The settings `lethe bench tofu` chose, read from its report at `path`; every one of `methods` must have one.
    static func chosenSettings(in path: String, for methods: [UnlearningMethod]) throws -> [SettingSelection] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let chosen: [SettingSelection]
        do {
            chosen = try decoder.decode(TofuBenchmark.Report.self, from: Data(contentsOf: URL(fileURLWithPath: path))).chosen
        } catch {
            throw ValidationError("cannot read the chosen settings from \(path) (run lethe bench tofu --write-docs docs first): \(error)")
        }
        for method in methods where !chosen.contains(where: { $0.method == method }) {
            throw UnlearningBenchmarkError.settingsMissing(method: method.rawValue, file: path)
        }
        return chosen
    }

    /// Throws unless the two model folders share one tokenizer: forget quality compares their
    /// likelihoods token for token.
    static func requireSameTokenizer(model: String, retainModel: String) throws {
        let tokenizerFile = { (folder: String) throws -> Data in
            let file = URL(fileURLWithPath: folder).appendingPathComponent("tokenizer.json")
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw ValidationError("cannot read \(file.path): a model folder needs config.json, tokenizer.json and its weights")
            }
            return data
        }
        guard try tokenizerFile(model) == tokenizerFile(retainModel) else {
            throw ValidationError("\(retainModel)/tokenizer.json differs from \(model)/tokenizer.json: the retain model must share the base model's tokenizer")
        }
    }

    /// Logs a finished run on standard error (unless printing JSON).
    func log(_ line: String) {
        if !json { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
