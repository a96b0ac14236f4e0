import ArgumentParser
import Daemon
import Foundation
import Model
import Store
import Unlearning
import Corpus

struct BenchDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Time the daemon end to end: one author's request from drop to published version, then many small requests dropped at once.",
        discussion: """
            Starts `lethe daemon` on a fresh store made from --model in a temporary folder (the daemon's \
            defaults otherwise), drops requests into its spool the way `lethe submit` does, and watches the \
            spool and the registry. Nothing of the working copy is touched unless --write-docs is given.

            With --retain-set (a model of the user's, e.g. a GGUF file, and its data), the single request is \
            --request and the many small requests are left out: they are drawn from the corpus. The time from \
            drop to published version excludes the start (the import and the utility set's references, \
            computed once per base version).
            """
    )

    @Option(help: "The base model folder the store starts from.")
    var model = "Checkpoints/base"
    @Option(help: "The corpus the model learned.")
    var corpus = "Checkpoints/base/corpus"
    @Option(help: "The daemon's retain_set instead of the corpus (repeat for several files).")
    var retainSet: [String] = []
    @Option(help: "The daemon's utility_set (repeat for several files; default: the retain set).")
    var utilitySet: [String] = []
    @Option(help: "With --retain-set: the request file whose latency is measured.")
    var request: String?
    @Option(help: "A daemon configuration whose keys (update, gate, …) the daemon also gets; store, spool and the data are the bench's.")
    var config: String?
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
        /// The gate's figures on the version as each served type (`gate.served_formats`) holds it.
        var served: [Served]?
    }

    struct Served: Codable {
        var type: String
        /// The request's items forgotten under the type too.
        var forgotten: Int
        var jobProbabilityRatio: Double?
        var utility: Double?
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
        /// (`rouge_l_recall`, the lesser of the two recalls; `probability_ratio`; or both).
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
        /// Why the daemon failed the request, as its error file says.
        var reason: String
    }

    /// What the store holds once the requests are answered.
    struct Storage: Codable {
        /// The versions the daemon published (its unlearning updates).
        var publishedVersions: Int
        /// The mean bytes of their objects on disk; nil when none was published.
        var meanBytesPerVersion: Int?
        /// Version 0's full object, for scale.
        var baseVersionBytes: Int
        /// Every object, the registry and the model files.
        var storeBytes: Int
    }

    struct Result: Codable {
        var single: Single
        /// Left out on the user's data (the small requests are corpus questions).
        var bulk: Bulk?
        var storage: Storage
        var threads: Int
    }

    func validate() throws {
        if !retainSet.isEmpty && request == nil { throw ValidationError("--retain-set needs --request: the request to time") }
        if retainSet.isEmpty && (request != nil || !utilitySet.isEmpty) {
            throw ValidationError("--request and --utility-set go with --retain-set (the corpus gives the requests otherwise)")
        }
        if requests < 1 { throw ValidationError("--requests must be at least 1") }
        if maxItemsPerJob < 1 { throw ValidationError("--max-items-per-job must be at least 1") }
    }

    func run() throws {
        var configuration = try DaemonUnderBench.configuration(from: config)
        configuration.merge(["base_model": model, "rescan_seconds": 0.5, "max_items_per_job": maxItemsPerJob]) { $1 }
        let corpus = retainSet.isEmpty ? try Corpus.load(from: URL(fileURLWithPath: self.corpus)) : nil
        if corpus != nil {
            configuration["corpus"] = URL(fileURLWithPath: self.corpus).path
        } else {
            configuration["retain_set"] = retainSet.map { URL(fileURLWithPath: $0).path }
            if !utilitySet.isEmpty { configuration["utility_set"] = utilitySet.map { URL(fileURLWithPath: $0).path } }
        }
        let (label, single) = try singleRequest(corpus: corpus)

        let daemon = try DaemonUnderBench(name: "bench-daemon", configuration: configuration)
        defer { daemon.stop() }
        progress("one request: \(label)")
        let start = Date()
        let answer = AnsweredRequest(report: try daemon.waitForAnswer(try daemon.submit(single.bytes)))
        let seconds = Date().timeIntervalSince(start)
        let metrics = answer.metrics
        let measured = Single(
            author: label, items: single.items, status: answer.status, forgotten: answer.forgottenItems,
            secondsToPublished: seconds, trainSeconds: metrics["train_seconds"]?.doubleValue, gateSeconds: metrics["gate_seconds"]?.doubleValue,
            steps: metrics["steps"]?.intValue, utility: metrics["utility"]?.doubleValue, baseUtility: metrics["base_utility"]?.doubleValue,
            served: Self.served(metrics, items: single.items))
        progress(String(format: "one request: %@ in %.1f s", measured.status, seconds))
        let bulk = try corpus.map { try smallRequests($0, excluding: label, daemon: daemon) }
        if !json && isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
        let result = Result(single: measured, bulk: bulk, storage: try storage(of: daemon.store),
                            threads: ProcessInfo.processInfo.activeProcessorCount)
        if let docs = writeDocs { try write(result, into: URL(fileURLWithPath: docs)) }
        if json { return print(try encodeJSON(result)) }
        printTable(rows(result))
    }

    /// The request whose latency is measured: `--request`, or every question about one author of the corpus.
    private func singleRequest(corpus: Corpus?) throws -> (label: String, (bytes: [UInt8], items: Int)) {
        guard let corpus else {
            let url = URL(fileURLWithPath: request!)
            let bytes = Array(try Data(contentsOf: url))
            guard case .forget(let parsed) = try RequestParser().parse(bytes, fileName: url.lastPathComponent) else {
                throw ValidationError("--request must be a forget request")
            }
            return (url.lastPathComponent, (bytes, parsed.forget.count))
        }
        let author = self.author ?? corpus.authorIDs(in: .forget10)[0]
        return (author, try DaemonUnderBench.authorRequest(author, of: corpus, reason: "lethe bench daemon"))
    }

    /// `requests` small requests, one fact each, spread over the authors but `author`; written
    /// first, then renamed into incoming/ together, as a burst of submissions would arrive.
    private func smallRequests(_ corpus: Corpus, excluding author: String, daemon: DaemonUnderBench) throws -> Bulk {
        let spool = daemon.spool, registry = daemon.store.registry
        let others = corpus.items(in: .retain90).filter { $0.author != author }
        guard others.count >= requests else { throw ValidationError("the corpus has only \(others.count) other questions for --requests") }
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
            guard daemon.isRunning else { throw ValidationError("the daemon \(daemon.ending) while serving the requests") }
            if !waiting.isEmpty { Thread.sleep(forTimeInterval: recorded == nil ? 0.05 : 0.25) }
        }
        let total = Date().timeIntervalSince(bulkStart)
        let small = try registry.requests().filter { $0.id.hasPrefix("small-") }
        let versions = Set(small.compactMap(\.version)).sorted()
        let smallItems = try small.flatMap { try registry.forgetItems(request: $0.id) }
        let escalations = smallItems.map(ItemAttempts.init).filter { $0.attempts.count > 1 }
        let reasons = Dictionary(uniqueKeysWithValues: small.map { ($0.id, $0.error?["message"]?.stringValue ?? "") })
        let failures = smallItems.filter { $0.state == .failed }.map { item in
            Failure(request: item.requestID, question: item.prompt ?? "", answer: item.completion ?? "",
                    generated: item.latestScores?["generated"]?.stringValue ?? "", attempts: ItemAttempts(item).summaries,
                    reason: reasons[item.requestID] ?? "")
        }
        return Bulk(requests: requests, maxItemsPerJob: maxItemsPerJob, secondsToRecordAll: recorded ?? total, secondsToAnswerAll: total,
                        answered: small.filter { !$0.status.isOpen }.count, applied: small.filter { $0.status == .applied }.count,
                        failed: small.filter { $0.status == .failed }.count, versions: versions.count,
                        requestsPerVersion: versions.map { version in small.filter { $0.version == version }.count },
                        escalated: escalations.count,
                        forgottenByStep: Dictionary(grouping: escalations.compactMap(\.forgottenBy), by: { $0 }).mapValues(\.count),
                        firstAttemptMisses: Dictionary(grouping: escalations.map(\.firstMiss), by: { $0 }).mapValues(\.count),
                        failures: failures)
    }

    /// The bytes of the versions the daemon published and of the whole store, from one snapshot.
    private func storage(of store: CheckpointStore) throws -> Storage {
        let (versions, usage) = try store.registry.read { (try $0.versions(), try store.usage($0)) }
        let published = Set(versions.filter { $0.kind == .unlearn }.map(\.id))
        let bytes = usage.versions.filter { published.contains($0.id) }.map(\.storedBytes)
        return Storage(publishedVersions: bytes.count, meanBytesPerVersion: bytes.isEmpty ? nil : bytes.reduce(0, +) / bytes.count,
                       baseVersionBytes: usage.versions.first { $0.id == 0 }?.storedBytes ?? 0, storeBytes: usage.total.totalBytes)
    }

    /// The answer's `served` figures, by type in name order; nil when the gate served none.
    private static func served(_ metrics: [String: JSONValue], items: Int) -> [Served]? {
        guard case .object(let types)? = metrics["served"], !types.isEmpty else { return nil }
        return types.keys.sorted().compactMap { type in
            guard case .object(let figures)? = types[type] else { return nil }
            let unforgotten = if case .array(let ids)? = figures["unforgotten"] { ids.count } else { 0 }
            return Served(type: type, forgotten: items - unforgotten, jobProbabilityRatio: figures["job_probability_ratio"]?.doubleValue,
                          utility: figures["utility"]?.doubleValue)
        }
    }

    private func rows(_ result: Result) -> [(String, String)] {
        let single = result.single
        let head = [
            (retainSet.isEmpty ? "one author" : "one request", String(format: "%@: %d items, %@ (%d forgotten) %.1f s from drop to published version",
                                                                   single.author, single.items, single.status, single.forgotten, single.secondsToPublished)),
            ("  of which", String(format: "training %.1f s (%d steps), gate %.1f s", single.trainSeconds ?? .nan, single.steps ?? 0,
                                  single.gateSeconds ?? .nan)),
            ("  utility", String(format: "%.4f (base version %.4f)", single.utility ?? .nan, single.baseUtility ?? .nan)),
        ] + (single.served ?? []).map { served in
            ("  served as \(served.type)", String(format: "%d of %d items forgotten, p̄ ratio %.4f (geometric mean), utility %.4f",
                                                 served.forgotten, single.items, served.jobProbabilityRatio ?? .nan, served.utility ?? .nan))
        }
        let store = [("store", Self.describe(result.storage))]
        guard let bulk = result.bulk else { return head + store }
        return head + [
            ("small requests", "\(bulk.requests) dropped at once, max \(bulk.maxItemsPerJob) items per job"),
            ("  recorded", String(format: "all %d in the registry %.2f s after the drop", bulk.requests, bulk.secondsToRecordAll)),
            ("  answered", String(format: "all %d in %.1f s: %d applied by %d versions (%@ requests each), %d failed", bulk.answered,
                                  bulk.secondsToAnswerAll, bulk.applied, bulk.versions,
                                  bulk.requestsPerVersion.map(String.init).joined(separator: ", "), bulk.failed)),
            ("  escalated", "\(bulk.escalated) requests not forgotten at the first attempt; criteria missed then: "
                + Self.counts(bulk.firstAttemptMisses) + "; forgotten by the step " + Self.counts(bulk.forgottenByStep)),
        ] + store + Self.failureRows(bulk.failures)
    }

    /// Failed requests the table shows one by one; the JSON report keeps every one. A burst
    /// that the utility budget stops fails hundreds, and a row each would bury the table.
    static let failuresShown = 10

    /// A row for each of the first `failuresShown` failures, then one that counts the rest.
    static func failureRows(_ failures: [Failure]) -> [(String, String)] {
        failures.prefix(failuresShown).map { failure in
            ("  failed", "\(failure.request): “\(failure.question)” → “\(failure.answer)”; last answer “\(failure.generated)”; "
                + failure.attempts.joined(separator: "; ") + "; " + failure.reason)
        } + (failures.count > failuresShown ? [("  failed", "\(failures.count - failuresShown) more, each in the JSON report's bulk.failures")] : [])
    }

    /// "2 versions published, 8.9 MiB each on average (0.77× version 0's full object, 11.6 MiB); the store 35.2 MiB in all (…)".
    private static func describe(_ storage: Storage) -> String {
        let versions = "\(storage.publishedVersions) \(storage.publishedVersions == 1 ? "version" : "versions") published"
        let mean = storage.meanBytesPerVersion.map { mean in
            String(format: ", %@ each on average (%.2f× version 0's full object, %@)", humanBytes(mean),
                   Double(mean) / Double(max(1, storage.baseVersionBytes)), humanBytes(storage.baseVersionBytes))
        } ?? ""
        return versions + mean + "; the store \(humanBytes(storage.storeBytes)) in all (objects, registry, model files)"
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
                String(format: "%@: ROUGE-L recall %.2f (beyond the question %.2f), probability ratio %.3f", Self.step(of: attempt),
                       attempt["rouge_l_recall"]?.doubleValue ?? .nan, attempt["recall_beyond_prompt"]?.doubleValue ?? .nan,
                       attempt["probability_ratio"]?.doubleValue ?? .nan)
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
            let plain = first["rouge_l_recall"]?.doubleValue ?? 0
            let kept = ForgetItemScore.keptRecall(rougeLRecall: plain, recallBeyondPrompt: first["recall_beyond_prompt"]?.doubleValue ?? plain)
            let rouge = kept > criteria.maxRougeLRecall
            let ratio = (first["probability_ratio"]?.doubleValue ?? 0) > criteria.maxProbabilityRatio
            return rouge && ratio ? "both" : rouge ? "rouge_l_recall" : ratio ? "probability_ratio" : "neither"
        }
    }

    private func write(_ result: Result, into docs: URL) throws {
        let bench = docs.appendingPathComponent("bench")
        try FileManager.default.createDirectory(at: bench, withIntermediateDirectories: true)
        let name = result.bulk == nil ? "bench-daemon-model" : "bench-daemon"
        try DurableFile.write(Array(try encodeJSON(result).utf8) + [UInt8(ascii: "\n")], to: bench.appendingPathComponent("\(name).json"))
        let table = rows(result).map { "| \($0.0.trimmingCharacters(in: .whitespaces)) | \($0.1) |" }.joined(separator: "\n")
        let setup = result.bulk.map { "its default settings but `max_items_per_job` \($0.maxItemsPerJob)" }
            ?? "retain set \(retainSet.joined(separator: ", ")), utility set \((utilitySet.isEmpty ? retainSet : utilitySet).joined(separator: ", "))"
            + (config.map { ", the settings of \($0)" } ?? "")
        try DocsSection.write("""
            `lethe bench daemon\(result.bulk == nil ? " --model …" : "") --write-docs docs` on this machine (\(result.threads) cores, \
            release build): the daemon on a fresh store made from `\(model)`, \(setup).

            | | |
            |---|---|
            \(table)
            """, named: result.bulk == nil ? "lethe bench daemon --model \(URL(fileURLWithPath: model).lastPathComponent)" : "lethe bench daemon",
            into: docs.appendingPathComponent("benchmarks.md"))
    }

    private func progress(_ text: String) { redrawnProgress(text, quiet: json) }
}
