import ArgumentParser
import Daemon
import Foundation
import Model
import Store
import Unlearning

struct BenchDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Time the daemon end to end: one author's request from drop to published version, then many small requests dropped at once.",
        discussion: """
            Starts `lethe daemon` on a fresh store made from --model in a temporary folder (the daemon's \
            defaults otherwise), drops requests into its spool the way `lethe submit` does, and watches the \
            spool and the registry. Nothing of the working copy is touched unless --write-docs is given.
            """
    )

    @Option(help: "The base model folder the store starts from.")
    var model = "Checkpoints/base"
    @Option(help: "The corpus the model learned.")
    var corpus = "Checkpoints/base/corpus"
    @Option(help: "The author whose every question the single request forgets (default: the first of forget10).")
    var author: String?
    @Option(help: "Small requests dropped at once (one question each, each about a different fact).")
    var requests = 1000
    @Option(help: "The daemon's max_items_per_job while it serves them.")
    var maxItemsPerJob = 250
    @Option(help: "Write the results into DIR/benchmarks.md (its own section) and DIR/bench/bench-daemon.json.")
    var writeDocs: String?
    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Single: Codable {
        var author: String
        var items: Int
        var status: String
        var forgotten: Int
        /// From the rename into incoming/ to the answer in done/ (the version published).
        var secondsToPublished: Double
        var trainSeconds: Double?
        var gateSeconds: Double?
        var steps: Int?
        var utility: Double?
        var baseUtility: Double?
    }

    struct Bulk: Codable {
        var requests: Int
        var maxItemsPerJob: Int
        /// From the first drop until every request was recorded in the registry.
        var secondsToRecordAll: Double
        /// From the first drop until every request was answered in done/ or failed/.
        var secondsToAnswerAll: Double
        var answered: Int
        var applied: Int
        var failed: Int
        var versions: Int
        var requestsPerVersion: [Int]
        /// Requests whose item the job as planned did not forget, so the escalation ladder ran.
        var escalated: Int
        /// Of those applied: the ladder's step that forgot the item → how many.
        var forgottenByStep: [String: Int]
        /// The criteria the escalated items missed at the first attempt → how many
        /// (`rouge_l_recall`, `probability_ratio` or both).
        var firstAttemptMisses: [String: Int]
        /// Every failed request's item: what it asked, what the model answered last, each attempt's numbers.
        var failures: [Failure]
    }

    struct Failure: Codable {
        var request: String
        var question: String
        var answer: String
        /// The greedy answer of the last attempt's version.
        var generated: String
        /// `step: rouge_l_recall, probability_ratio` for each attempt.
        var attempts: [String]
    }

    struct Result: Codable {
        var single: Single
        var bulk: Bulk
        var threads: Int
    }

    func validate() throws {
        if requests < 1 { throw ValidationError("--requests must be at least 1") }
        if maxItemsPerJob < 1 { throw ValidationError("--max-items-per-job must be at least 1") }
    }

    func run() throws {
        let corpusURL = URL(fileURLWithPath: corpus)
        let loaded = try Corpus.load(from: corpusURL)
        let author = self.author ?? loaded.authorIDs(in: .forget10)[0]
        let questions = loaded.items.filter { $0.author == author }
        guard !questions.isEmpty else { throw ValidationError("the corpus has no question about \(author)") }
        let others = loaded.items(in: .retain90).filter { $0.author != author }
        guard others.count >= requests else { throw ValidationError("the corpus has only \(others.count) other questions for --requests") }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-bench-daemon-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = Spool(root: directory.appendingPathComponent("spool"))
        let configuration: [String: Any] = [
            "store": directory.appendingPathComponent("store").path, "spool": spool.root.path, "base_model": model,
            "corpus": corpusURL.path, "rescan_seconds": 0.5, "max_items_per_job": maxItemsPerJob,
        ]
        let configFile = directory.appendingPathComponent("lethe.json")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: configuration).write(to: configFile)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        daemon.arguments = ["daemon", "--config", configFile.path, "--log-level", "error"]
        try daemon.run()
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM); daemon.waitUntilExit() } }
        let registry = try waitUntilServing(spool: spool, store: directory.appendingPathComponent("store"), daemon: daemon)

        progress("one author: \(questions.count) questions about \(author)")
        let request = try JSONSerialization.data(withJSONObject: [
            "id": "bench-\(author)", "reason": "lethe bench daemon",
            "forget": questions.map { ["prompt": $0.question, "completion": $0.answer] },
        ])
        let start = Date()
        let name = try spool.submit(Array(request))
        let report = try waitForAnswer(name, spool: spool, daemon: daemon)
        let seconds = Date().timeIntervalSince(start)
        let metrics = report["metrics"]?.objectValue ?? report["error"]?.objectValue?["metrics"]?.objectValue ?? [:]
        let single = Single(
            author: author, items: questions.count, status: report["status"]?.stringValue ?? "?",
            forgotten: report["items"]?.arrayValue?.filter { $0.objectValue?["state"]?.stringValue == "forgotten" }.count ?? 0,
            secondsToPublished: seconds, trainSeconds: metrics["train_seconds"]?.doubleValue, gateSeconds: metrics["gate_seconds"]?.doubleValue,
            steps: metrics["steps"]?.intValue, utility: metrics["utility"]?.doubleValue, baseUtility: metrics["base_utility"]?.doubleValue)
        progress(String(format: "one author: %@ in %.1f s", single.status, seconds))

        // Small requests, one fact each, spread over the other authors; written first, then
        // renamed into incoming/ together, as a burst of submissions would arrive.
        let picked = others.evenlySpaced(requests)
        var names: [String] = []
        for (index, item) in picked.enumerated() {
            let bytes = try JSONSerialization.data(withJSONObject: [
                "id": "small-\(index)", "reason": "lethe bench daemon", "forget": [["prompt": item.question, "completion": item.answer]],
            ])
            let staged = "small-\(index).json"
            try Data(bytes).write(to: spool.url(.tmp).appendingPathComponent(staged))
            names.append(staged)
        }
        let knownBefore = try registry.requests().count
        let bulkStart = Date()
        for name in names {
            guard rename(spool.url(.tmp).appendingPathComponent(name).path, spool.url(.incoming).appendingPathComponent(name).path) == 0 else {
                throw FileSystemError(path: name, operation: "hand in")
            }
        }
        // Polled every 50 ms until all are recorded, then every 250 ms: the watching must not
        // take the daemon's cores.
        var recorded: Double?
        var waiting = names[...]
        while !waiting.isEmpty {
            if recorded == nil, try registry.requests().count - knownBefore >= requests { recorded = Date().timeIntervalSince(bulkStart) }
            while let next = waiting.first, spool.answerFolder(of: next) != nil { waiting.removeFirst() }
            progress("small requests: \(requests - waiting.count) of \(requests) answered")
            guard daemon.isRunning else { throw ValidationError("the daemon exited while serving the requests") }
            if !waiting.isEmpty { Thread.sleep(forTimeInterval: recorded == nil ? 0.05 : 0.25) }
        }
        let total = Date().timeIntervalSince(bulkStart)
        let small = try registry.requests().filter { $0.id.hasPrefix("small-") }
        let versions = Set(small.compactMap(\.version)).sorted()
        let smallItems = try small.flatMap { try registry.forgetItems(request: $0.id) }
        let escalations = smallItems.map(ItemAttempts.init).filter { $0.attempts.count > 1 }
        let failures = smallItems.filter { $0.state == .failed }.map { item in
            Failure(request: item.requestID, question: item.prompt ?? "", answer: item.completion ?? "",
                    generated: item.latestScores?["generated"]?.stringValue ?? "", attempts: ItemAttempts(item).summaries)
        }
        let bulk = Bulk(requests: requests, maxItemsPerJob: maxItemsPerJob, secondsToRecordAll: recorded ?? total, secondsToAnswerAll: total,
                        answered: small.filter { !$0.status.isOpen }.count, applied: small.filter { $0.status == .applied }.count,
                        failed: small.filter { $0.status == .failed }.count, versions: versions.count,
                        requestsPerVersion: versions.map { version in small.filter { $0.version == version }.count },
                        escalated: escalations.count,
                        forgottenByStep: Dictionary(grouping: escalations.compactMap(\.forgottenBy), by: { $0 }).mapValues(\.count),
                        firstAttemptMisses: Dictionary(grouping: escalations.map(\.firstMiss), by: { $0 }).mapValues(\.count),
                        failures: failures)
        if !json && isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
        let result = Result(single: single, bulk: bulk, threads: ProcessInfo.processInfo.activeProcessorCount)
        if let docs = writeDocs { try write(result, into: URL(fileURLWithPath: docs)) }
        if json { return print(try encodeJSON(result)) }
        printTable(rows(result))
    }

    private func rows(_ result: Result) -> [(String, String)] {
        let single = result.single, bulk = result.bulk
        return [
            ("one author", String(format: "%@: %d questions, %@ (%d forgotten) %.1f s from drop to published version", single.author,
                                  single.items, single.status, single.forgotten, single.secondsToPublished)),
            ("  of which", String(format: "training %.1f s (%d steps), gate %.1f s", single.trainSeconds ?? .nan, single.steps ?? 0,
                                  single.gateSeconds ?? .nan)),
            ("small requests", "\(bulk.requests) dropped at once, max \(bulk.maxItemsPerJob) items per job"),
            ("  recorded", String(format: "all %d in the registry %.2f s after the drop", bulk.requests, bulk.secondsToRecordAll)),
            ("  answered", String(format: "all %d in %.1f s: %d applied by %d versions (%@ requests each), %d failed", bulk.answered,
                                  bulk.secondsToAnswerAll, bulk.applied, bulk.versions,
                                  bulk.requestsPerVersion.map(String.init).joined(separator: ", "), bulk.failed)),
            ("  escalated", "\(bulk.escalated) requests not forgotten at the first attempt; criteria missed then: "
                + Self.counts(bulk.firstAttemptMisses) + "; forgotten by the step " + Self.counts(bulk.forgottenByStep)),
        ] + bulk.failures.map { failure in
            ("  failed", "\(failure.request): “\(failure.question)” → “\(failure.answer)”; last answer “\(failure.generated)”; "
                + failure.attempts.joined(separator: "; "))
        }
    }

    /// `key n, key n` in key order, or `none`.
    private static func counts(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// An item's attempts as the daemon keeps them in its scores (`attempts`).
    private struct ItemAttempts {
        let attempts: [[String: JSONValue]]

        init(_ item: ForgetItemRecord) {
            attempts = item.latestScores?["attempts"]?.arrayValue?.compactMap(\.objectValue) ?? []
        }

        /// `step: ROUGE-L recall r, probability ratio p` for each attempt.
        var summaries: [String] {
            attempts.map { attempt in
                String(format: "%@: ROUGE-L recall %.2f, probability ratio %.3f", Self.step(of: attempt),
                       attempt["rouge_l_recall"]?.doubleValue ?? .nan, attempt["probability_ratio"]?.doubleValue ?? .nan)
            }
        }

        /// The step of the attempt that forgot it (the method, for another method), if one did.
        var forgottenBy: String? {
            attempts.first { $0["forgotten"] == .bool(true) }.map(Self.step)
        }

        /// The attempt's step, or its method for another method.
        private static func step(of attempt: [String: JSONValue]) -> String {
            let step = attempt["step"]?.stringValue ?? "?"
            return step == EscalationStep.Kind.otherMethod.rawValue ? attempt["method"]?.stringValue ?? step : step
        }

        /// Which of the gate's criteria (the daemon's defaults) the first attempt missed.
        var firstMiss: String {
            let criteria = ForgetCriteria(), first = attempts.first ?? [:]
            let rouge = (first["rouge_l_recall"]?.doubleValue ?? 0) > criteria.maxRougeLRecall
            let ratio = (first["probability_ratio"]?.doubleValue ?? 0) > criteria.maxProbabilityRatio
            return rouge && ratio ? "both" : rouge ? "rouge_l_recall" : ratio ? "probability_ratio" : "neither"
        }
    }

    private func write(_ result: Result, into docs: URL) throws {
        let bench = docs.appendingPathComponent("bench")
        try FileManager.default.createDirectory(at: bench, withIntermediateDirectories: true)
        try DurableFile.write(Array(try encodeJSON(result).utf8) + [UInt8(ascii: "\n")], to: bench.appendingPathComponent("bench-daemon.json"))
        let table = rows(result).map { "| \($0.0.trimmingCharacters(in: .whitespaces)) | \($0.1) |" }.joined(separator: "\n")
        try DocsSection.write("""
            `lethe bench daemon --write-docs docs` on this machine (\(result.threads) cores, release build): the daemon on a fresh \
            store made from `\(model)`, its default settings but `max_items_per_job` \(result.bulk.maxItemsPerJob).

            | | |
            |---|---|
            \(table)
            """, named: "lethe bench daemon", into: docs.appendingPathComponent("benchmarks.md"))
    }

    /// One line of progress on a terminal, redrawn when it changes; nothing otherwise.
    private func progress(_ text: String) {
        guard !json, isatty(STDERR_FILENO) == 1 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
    }

    /// Waits for the daemon's first status (the store created, recovery done) and opens its registry.
    private func waitUntilServing(spool: Spool, store: URL, daemon: Process) throws -> Registry {
        while DaemonStatus.read(spool: spool.root).map({ $0.state == .starting }) ?? true {
            guard daemon.isRunning else { throw ValidationError("the daemon exited before serving") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try CheckpointStore(root: store).registry
    }

    /// Polls the spool every 10 ms until `name` is answered; its report.
    private func waitForAnswer(_ name: String, spool: Spool, daemon: Process) throws -> [String: JSONValue] {
        while true {
            if let folder = spool.answerFolder(of: name) {
                return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: spool.reportURL(name, in: folder))).objectValue ?? [:]
            }
            guard daemon.isRunning else { throw ValidationError("the daemon exited before answering") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}
