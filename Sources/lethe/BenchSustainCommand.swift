import ArgumentParser
import Foundation
import Model
import Store
import Benchmarks
import Corpus

struct BenchSustain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sustain",
        abstract: "Hand a daemon one author's request after another and follow what the model keeps: the gate's numbers after each, the full measure every few.",
        discussion: """
            Starts `lethe daemon` on a fresh store made from --model in a temporary folder, as `lethe bench daemon` \
            does, and hands in one request per author (all the author's questions): the authors of forget10 first, \
            then those of retain90, each request awaited before the next is dropped. After each request: its answer, \
            the seconds from drop to answer and the gate's metrics. Every --measure-every requests and after the last, \
            the full measure of HEAD: forget quality, MIA AUC (against the held-out authors), ROUGE-L recall, p̄ and \
            fluency (p̄ of the version's greedy answers under the base model) of the forget10 questions forgotten so \
            far, beside the retain model's figures on the same questions; model utility (as `lethe eval` measures it) \
            on the retain90 sample less the authors asked to be forgotten, and the general split; the bytes of the \
            version and of the store. The base version is measured the same way at the start, on all of forget10.
            """
    )

    @Option(help: "Requests handed in, one author each (default: 100; 3 with --quick).")
    var requests: Int?
    @Option(help: "The full measure after every K requests, and after the last (default: 10; only after the last with --quick).")
    var measureEvery: Int?
    @Option(help: "The base model folder the store starts from; it also judges the fluency of answers.")
    var model = "Checkpoints/base"
    @Option(help: "The corpus the model learned (default: the base model's corpus/).")
    var corpus: String?
    @Option(help: "The retain model folder (trained without forget10), with the base model's tokenizer.")
    var retainModel = "Checkpoints/base/retain"
    @Option(help: "A daemon configuration whose keys (update, gate, …) the daemon also gets; store, spool and the data are the bench's.")
    var config: String?
    @Flag(help: "For the tests: 3 requests, the full measure after the last only, small utility samples (here and in the daemon's gate).")
    var quick = false
    @Option(help: "Write the results into DIR/benchmarks.md (its own section), DIR/img/bench-sustain.svg and DIR/bench/bench-sustain.json.")
    var writeDocs: String?
    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        if let measureEvery, measureEvery < 1 { throw ValidationError("--measure-every must be at least 1") }
    }

    struct Plan: Codable {
        var requests: Int
        var measureEvery: Int
        /// Evenly spaced retain90 and general questions model utility is measured on (before the asked authors leave).
        var utilityItems: Int
        var model: String
        var retainModel: String
        var corpus: String
        var quick: Bool
        /// What the daemon was given (its store and spool aside).
        var daemonConfiguration: JSONValue
    }

    /// One request as answered.
    struct Request: Codable {
        /// 1-based, in the order handed in.
        var index: Int
        var author: String
        var split: String
        var items: Int
        var status: String
        var forgotten: Int
        /// From the rename into incoming/ to the answer in done/ or failed/.
        var secondsToAnswer: Double
        /// The version published for it.
        var version: Int?
        var error: String?
        /// The answer's metrics as the daemon wrote them (of the last attempt for a failed request).
        var metrics: [String: JSONValue]

        func number(_ key: String) -> Double? { metrics[key]?.doubleValue }
    }

    /// The full measure of HEAD after a request.
    struct Measure: Codable {
        var afterRequest: Int
        var version: Int
        var applied: Int
        var failed: Int
        /// The gate's utility of HEAD and of the base version, from the registry (nil while HEAD is the base version).
        var gateUtility: Double?
        var gateBaseUtility: Double?
        var figures: SustainMeasure.Figures
        /// HEAD's own object file, the object files it is decoded from (itself and its delta chain to a full
        /// object), and the whole store (`StoreUsage`: every object, the registry, the model files).
        var versionBytes: Int
        var versionChainBytes: Int
        var storeBytes: Int
        var seconds: Double
    }

    struct Report: Codable {
        var plan: Plan
        /// The base version, measured on all of forget10 and the whole utility sample.
        var base: SustainMeasure.Figures
        var degenerateFluency: Double
        var requests: [Request]
        var measures: [Measure]
        var seconds: Double
        var threads: Int
    }

    func run() throws {
        let clock = ContinuousClock(), start = clock.now
        let corpusFolder = corpus ?? (model as NSString).appendingPathComponent("corpus")
        let loadedCorpus = try Corpus.load(from: URL(fileURLWithPath: corpusFolder))
        let forgetAuthors = loadedCorpus.authorIDs(in: .forget10)
        let candidates = forgetAuthors + loadedCorpus.authorIDs(in: .retain90)
        let count = requests ?? (quick ? 3 : 100)
        guard count <= candidates.count else {
            throw ValidationError("--requests \(count): the corpus has \(candidates.count) authors in forget10 and retain90")
        }
        let authors = Array(candidates.prefix(count))
        var configuration = Self.merged(try DaemonUnderBench.configuration(from: config),
                                        over: quick ? ["retain_items": 40, "replay_items": 10, "gate": ["utility_items": 20, "forget_sample": 20]] : [:])
        configuration.merge(["base_model": model, "corpus": URL(fileURLWithPath: corpusFolder).path, "rescan_seconds": 0.5]) { $1 }
        let plan = Plan(requests: count, measureEvery: measureEvery ?? (quick ? count : 10), utilityItems: quick ? 20 : 400,
                        model: model, retainModel: retainModel, corpus: corpusFolder, quick: quick,
                        daemonConfiguration: try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: configuration)))

        progress("measuring the retain model and the base version")
        try UnlearningBenchmarkOptions.requireSameTokenizer(model: model, retainModel: retainModel)
        let modelFolder = URL(fileURLWithPath: model)
        let base = try ModelFolder.load(modelFolder)
        let forget10 = loadedCorpus.items(in: .forget10)
        let measure = try SustainMeasure(corpus: loadedCorpus, retainModel: try ModelFolder.load(URL(fileURLWithPath: retainModel)), judge: base,
                                         format: try ConversationFormat(modelFolder: modelFolder, config: base.config),
                                         forgetItems: forget10, utilityItems: plan.utilityItems)
        let baseFigures = try measure.measure(base, forgotten: forget10, excludingAuthors: [])

        let daemon = try DaemonUnderBench(name: "bench-sustain", configuration: configuration)
        defer { daemon.stop() }
        var answered: [Request] = [], measures: [Measure] = []
        for (offset, author) in authors.enumerated() {
            let request = try DaemonUnderBench.authorRequest(author, of: loadedCorpus, reason: "lethe bench sustain")
            let sent = Date()
            let answer = AnsweredRequest(report: try daemon.waitForAnswer(try daemon.submit(request.bytes)))
            answered.append(Request(index: offset + 1, author: author, split: forgetAuthors.contains(author) ? "forget10" : "retain90",
                                    items: request.items, status: answer.status, forgotten: answer.forgottenItems,
                                    secondsToAnswer: Date().timeIntervalSince(sent), version: answer.version, error: answer.errorMessage,
                                    metrics: answer.metrics))
            let last = answered[answered.count - 1]
            progress(String(format: "request %d of %d (%@): %@ in %.1f s, gate utility %.4f", last.index, count, author, last.status,
                            last.secondsToAnswer, last.number("utility") ?? .nan))
            if last.index % plan.measureEvery == 0 || last.index == count {
                progress("request \(last.index) of \(count): measuring HEAD")
                measures.append(try measureHead(of: daemon.store, after: answered, forget10: forget10, using: measure))
            }
        }
        if !json && isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
        let report = Report(plan: plan, base: baseFigures, degenerateFluency: SustainMeasure.degenerateFluency, requests: answered,
                            measures: measures, seconds: (clock.now - start).seconds, threads: ProcessInfo.processInfo.activeProcessorCount)
        let encoded = try encodeJSON(report)
        if let docs = writeDocs { try BenchmarkDocument(sustain: report, json: encoded).write(into: URL(fileURLWithPath: docs)) }
        if json { return print(encoded) }
        let table = BenchmarkDocument.sustainMeasureTable(report)
        printColumns(table.header, table.rows)
        if let example = BenchmarkDocument.sustainMedianAnswer(report) { print("\n" + example) }
        print("")
        printTable(BenchmarkDocument.sustainRequestSummary(report))
    }

    /// The full measure of HEAD after `answered`: forget10's questions of the requests applied
    /// so far, model utility without the authors asked so far.
    private func measureHead(of store: CheckpointStore, after answered: [Request], forget10: [CorpusItem],
                             using measure: SustainMeasure) throws -> Measure {
        let clock = ContinuousClock(), start = clock.now
        let head = try store.head()
        guard let version = try store.registry.version(head) else { throw StoreError.unknownVersion(head) }
        let applied = Set(answered.filter { $0.status == "applied" }.map(\.author))
        let forgotten = forget10.filter { $0.author.map(applied.contains) ?? false }
        let figures = try measure.measure(try store.loadModel(version: head), forgotten: forgotten,
                                          excludingAuthors: Set(answered.map(\.author)))
        let chain = try store.registry.objectChain(version.object)
        return Measure(afterRequest: answered.count, version: head, applied: applied.count,
                       failed: answered.filter { $0.status != "applied" }.count,
                       gateUtility: version.metrics["utility"]?.doubleValue, gateBaseUtility: version.metrics["base_utility"]?.doubleValue,
                       figures: figures, versionBytes: chain.last?.storedSize ?? 0, versionChainBytes: chain.reduce(0) { $0 + $1.storedSize },
                       storeBytes: try store.usage().total.totalBytes, seconds: (clock.now - start).seconds)
    }

    /// `configuration` over `defaults`, an object's keys merged into the default object's.
    private static func merged(_ configuration: [String: Any], over defaults: [String: Any]) -> [String: Any] {
        defaults.merging(configuration) { old, new in
            guard let old = old as? [String: Any], let new = new as? [String: Any] else { return new }
            return merged(new, over: old)
        }
    }

    private func progress(_ text: String) { redrawnProgress(text, quiet: json) }
}
