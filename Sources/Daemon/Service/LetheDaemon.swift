import Foundation
import Logging
import Model
import Store
import Unlearning

/// The daemon: claims request files from the spool, runs one job at a time on the store's
/// HEAD, publishes the versions that pass the gate, and answers every request in `done/` or
/// `failed/`. The loop reads top to bottom: ingest, answer what ended, plan, run the job or
/// wait for the spool.
///
/// Crash safety comes from the order of things: a request is claimed before it is read,
/// recorded before it is answered, and a version, the requests it applied and the items it
/// forgot are one registry transaction; start-up recovery re-queues what was running and
/// answers what was recorded but not answered. Nothing here needs a clean shutdown.
public final class LetheDaemon: @unchecked Sendable {
    public private(set) var configuration: DaemonConfiguration
    let configurationFile: URL?
    let logger: Logger
    let notifier: ServiceNotifier
    /// Stops the running job (checked after every step) and the loop.
    public let cancellation = JobCancellation()
    private let reloadRequested = SignalFlag()
    private var status: DaemonStatus
    private var lastStatusWrite = Date.distantPast
    /// The spool as the daemon holds it, once `run` opened it.
    private var folders: SpoolFolders?
    /// The last reason `status.json` could not be written, so a full disk is logged once, not twice a second.
    private var statusWriteFault: String?
    /// Re-opened items whose job failed its gate on this HEAD: not retried until HEAD moves or
    /// a request comes, so a failing job does not loop.
    private var deferredReopened: (head: Int, items: Set<String>)?
    /// Runs on the store once it is open (the crash tests install a fault hook here).
    public var configureStore: (CheckpointStore) -> Void = { _ in }

    public init(configuration: DaemonConfiguration, configurationFile: URL?, logger: Logger, notifier: ServiceNotifier) {
        self.configuration = configuration
        self.configurationFile = configurationFile
        self.logger = logger
        self.notifier = notifier
        status = DaemonStatus(state: .starting, startedAt: Date(), head: nil, queued: 0)
    }

    var spool: Spool { Spool(root: URL(fileURLWithPath: configuration.spool)) }
    var parser: RequestParser { RequestParser(limits: configuration.limits, policy: configuration.policy) }

    /// Asks the loop to stop; the running job ends at its next step and its requests go back to the queue.
    public func stop() { cancellation.cancel() }

    /// Asks the loop to read the configuration file again before its next job.
    public func reload() { reloadRequested.raise() }

    /// Serves until `stop()`.
    public func run() throws {
        let storeRoot = URL(fileURLWithPath: configuration.store)
        try FileManager.default.createDirectory(at: storeRoot, withIntermediateDirectories: true)
        let lock = try InstanceLock(store: storeRoot)
        defer { withExtendedLifetime(lock) {} }
        // The spool first: submitters can hand requests in while a first start imports the model.
        let spool = try SpoolFolders(self.spool)
        for change in spool.tightened { logger.notice("spool folder mode tightened", metadata: ["change": "\(change)"]) }
        folders = spool
        // The data to keep is read before a first start imports the model: a bad file stops it sooner.
        let kept = try KeptData.load(configuration)
        let store = try openStore(storeRoot)
        configureStore(store)
        try recover(store: store, spool: spool)
        let texts = try ModelTexts(modelFolder: store.layout.modelFiles, config: try store.config())
        let watcher = try SpoolWatcher(directory: self.spool.url(.incoming))
        // Measuring the base version can take minutes on a first start (a real model's references):
        // `lethe status` says so meanwhile.
        publishStatus(.starting, store: store, force: true)
        var base = try loadBase(store: store, head: try store.head(), texts: texts, kept: kept)
        let watchdog = startWatchdog()
        defer { watchdog?.cancel() }

        publishStatus(.idle, store: store, force: true)
        notifier.ready(status: status.line)
        logger.info("serving", metadata: ["spool": "\(self.spool.root.path)", "store": "\(storeRoot.path)", "head": "\(status.head ?? -1)"])

        while !cancellation.isCancelled {
            do {
                try serveOnce(store: store, spool: spool, texts: texts, kept: kept, base: &base, watcher: watcher)
            } catch let error as SpoolIntegrityError {
                // Serving on would read or write where a submitter points: stop, say why.
                logger.critical("stopped serving: \(error)")
                notifier.stopping(status: "stopped: \(error)")
                throw error
            } catch {
                // Whatever failed is tried again and the daemon keeps serving: a transient fault (the
                // registry busy, the disk full) after the back-off, anything else after a second.
                if let fault = TransientFault(error) {
                    postponeJobs(fault)
                    publishStatus(.idle, store: store, force: true)
                    waitForWork(watcher, atMost: status.postponement.map { $0.retryAt.timeIntervalSinceNow } ?? 1)
                } else {
                    logger.error("serving failed; trying again in a second: \(error)")
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
        publishStatus(.stopped, store: store, force: true)
        notifier.stopping(status: "stopped")
        logger.info("stopped")
    }

    /// One turn of the loop: ingest, answer what ended, plan, then run the job or wait.
    private func serveOnce(store: CheckpointStore, spool: SpoolFolders, texts: ModelTexts, kept: KeptData, base: inout BaseReference,
                           watcher: SpoolWatcher) throws {
        if reloadRequested.take() { reloadConfiguration() }
        let intake = RequestIntake(spool: spool, registry: store.registry, parser: parser, adminGroup: configuration.adminGroup)
        for outcome in try intake.ingestWaiting() { log(outcome) }
        for outcome in try intake.settleActive() { log(outcome) }
        // No job runs between turns: a request still marked running is one whose requeue a
        // fault (a full disk) interrupted, and it goes back to the queue now.
        let stale = try store.registry.requests(status: .running).map(\.id)
        if !stale.isEmpty { try requeue(stale, store: store) }
        if let postponement = status.postponement, postponement.retryAt > Date() {
            publishStatus(.idle, store: store, force: status.state != .idle)
            return waitForWork(watcher, atMost: postponement.retryAt.timeIntervalSinceNow)
        }
        let head = try store.head()
        if try store.registry.read({ try $0.lineage(of: head) }).last != base.version {
            base = try loadBase(store: store, head: head, texts: texts, kept: kept)
        }
        var unplannable: [UnplannableRequest] = []
        let planner = JobPlanner(spool: spool, registry: store.registry, configuration: configuration)
        let plan = try planner.plan(head: head, excluding: deferredReopened?.head == head ? deferredReopened!.items : [],
                                    unplannable: &unplannable)
        try end(unplannable, store: store, intake: intake)
        if let plan {
            return try runJob(plan, store: store, intake: intake, texts: texts, kept: kept, base: base)
        }
        status.postponement = nil
        publishStatus(.idle, store: store, force: status.state != .idle)
        waitForWork(watcher)
    }

    // MARK: Start-up

    /// Opens the store, creating it from the configured base model on first start.
    private func openStore(_ root: URL) throws -> CheckpointStore {
        if FileManager.default.fileExists(atPath: StoreLayout(root: root).database.path) { return try CheckpointStore(root: root) }
        logger.notice("initialising the store from the base model", metadata: ["store": "\(root.path)", "base_model": "\(configuration.baseModel)"])
        // base_model is a model folder or a GGUF file, converted into a temporary folder here.
        let baseModel = URL(fileURLWithPath: configuration.baseModel)
        let source = try ModelSourceFolder(source: baseModel)
        defer { source.remove() }
        return try CheckpointStore.create(at: root, importing: source.folder, source: baseModel.path, actor: Self.actor)
    }

    /// The base version of `head`'s lineage, its utility measured now so that no job waits for it.
    private func loadBase(store: CheckpointStore, head: Int, texts: ModelTexts, kept: KeptData) throws -> BaseReference {
        let base = try BaseReference(store: store, head: head)
        try ForgetGate(configuration: configuration, texts: texts, kept: kept).measureBase(base, registry: store.registry)
        return base
    }

    /// What a crash or kill left: orphan objects, requests marked running, files claimed but
    /// not recorded or recorded but not answered.
    private func recover(store: CheckpointStore, spool: SpoolFolders) throws {
        for removed in try store.recover() { logger.notice("recovery removed a leftover", metadata: ["path": "\(removed)"]) }
        let interrupted = try store.registry.transaction { transaction in
            try transaction.requests(status: .running).map { try transaction.updateRequestStatus(id: $0.id, to: .queued) }
        }
        for request in interrupted { logger.notice("interrupted job's request queued again", metadata: ["request": "\(request.id)"]) }
        let intake = RequestIntake(spool: spool, registry: store.registry, parser: parser, adminGroup: configuration.adminGroup)
        for outcome in try intake.settleActive(reportingOpen: true) { log(outcome) }
    }

    private func reloadConfiguration() {
        guard let file = configurationFile else { return logger.notice("SIGHUP: no configuration file to reload; defaults kept") }
        do {
            var loaded = try DaemonConfiguration.load(file)
            // The kept data was read at start and its references recorded: it changes with a restart.
            if loaded.store != configuration.store || loaded.spool != configuration.spool || loaded.baseModel != configuration.baseModel
                || loaded.corpus != configuration.corpus || loaded.retainSet != configuration.retainSet
                || loaded.utilitySet != configuration.utilitySet {
                logger.warning("SIGHUP: store, spool, base_model, corpus, retain_set and utility_set apply at the next start; the other keys apply now")
                (loaded.store, loaded.spool, loaded.baseModel) = (configuration.store, configuration.spool, configuration.baseModel)
                (loaded.corpus, loaded.retainSet, loaded.utilitySet) = (configuration.corpus, configuration.retainSet, configuration.utilitySet)
            }
            configuration = loaded
            logger.notice("configuration reloaded", metadata: ["file": "\(file.path)"])
        } catch {
            logger.error("SIGHUP: configuration not reloaded, the previous one stays: \(error)")
        }
    }

    // MARK: Jobs

    /// Runs a job; when it fails for any reason of its own (not a shutdown, not a moved HEAD), its
    /// requests fail with the error, and its re-opened items wait until HEAD moves.
    private func runJob(_ plan: JobPlan, store: CheckpointStore, intake: RequestIntake, texts: ModelTexts, kept: KeptData,
                        base: BaseReference) throws {
        try store.registry.transaction { transaction in
            for id in plan.requestIDs { try transaction.updateRequestStatus(id: id, to: .running) }
        }
        do {
            try perform(plan, store: store, intake: intake, texts: texts, kept: kept, base: base)
            status.postponement = nil
        } catch let error as SpoolIntegrityError {
            try requeue(plan.requestIDs, store: store)
            throw error
        } catch let error where TransientFault(error) != nil {
            // A valid request is never failed for the disk's sake: back to the queue, tried again later.
            try requeue(plan.requestIDs, store: store)
            postponeJobs(TransientFault(error)!)
        } catch {
            postpone(plan.reopened.map(\.id), head: plan.head)
            logger.error("job failed", metadata: ["request": "\(plan.requestIDs.joined(separator: ","))", "reason": "\(error)"])
            try fail(plan.members.map(\.record), error: ["message": .string("the job failed: \(error)")], store: store, intake: intake)
        }
    }

    /// Runs the job, then the escalation ladder (EscalationLadder) for its requests that miss
    /// items: every attempt publishes a version for the requests whose every item it forgets,
    /// so they never wait for the others; a request still missing items after the last step
    /// fails with each item's attempts and numbers, and those items are `failed`. A job of
    /// several requests whose version the gate refuses as a whole is split in two, each half
    /// a job of its own (`performApart`), down to single requests, which fail with their own
    /// numbers. `attempts` and `firstAttempt` carry what the requests went through before.
    private func perform(_ plan: JobPlan, store: CheckpointStore, intake: RequestIntake, texts: ModelTexts, kept: KeptData,
                         base: BaseReference, firstAttempt: Int = 1, attempts earlier: [String: [JSONValue]] = [:]) throws {
        var steps = EscalationLadder(configuration: configuration).steps(after: plan.settings)[...]
        let planner = JobPlanner(spool: intake.spool, registry: store.registry, configuration: configuration)
        let jobSettings = plan.settings
        var (plan, step, attempt) = (plan, EscalationStep(kind: .job, settings: plan.settings), firstAttempt)
        var tried = [step.kind.rawValue]
        var attempts = earlier
        var parent = try ParentWeights(store: store, version: plan.head)
        var outcome = try attemptJob(plan, step: step, attempt: attempt, attempts: &attempts, store: store, intake: intake, texts: texts,
                                     kept: kept, base: base, parent: parent)
        while true {
            switch outcome {
            case .ended:
                return
            case .refused(let members):
                return try performApart(members, settings: jobSettings, store: store, intake: intake, texts: texts, kept: kept, base: base,
                                        nextAttempt: attempt + 1, attempts: attempts)
            case .missed(let members, let head, let result):
                // The next step that trains something else or otherwise than the attempt before.
                var next: (plan: JobPlan, step: EscalationStep)?
                while next == nil, let candidate = steps.popFirst() {
                    let escalated = try planner.escalation(of: members, head: head, settings: candidate.settings)
                    if escalated.settings != plan.settings || escalated.targets.map(\.id) != plan.targets.map(\.id) { next = (escalated, candidate) }
                }
                guard let next else {
                    for member in members { try failUnforgotten(member, result: result, tried: tried, store: store, intake: intake) }
                    return
                }
                (plan, step, attempt) = (next.plan, next.step, attempt + 1)
                tried.append(step.kind == .otherMethod ? step.settings.method.rawValue : step.kind.rawValue)
                logger.notice("escalating requests whose items were not forgotten", metadata: [
                    "request": "\(plan.requestIDs.joined(separator: ","))", "items": "\(plan.targets.count)", "step": "\(step.kind.rawValue)",
                    "method": "\(step.settings.method.rawValue)", "epochs": "\(step.settings.epochs)", "learning_rate": "\(step.settings.learningRate)"])
                if parent.version != plan.head { parent = try ParentWeights(store: store, version: plan.head) }
                outcome = try attemptJob(plan, step: step, attempt: attempt, attempts: &attempts, store: store, intake: intake, texts: texts,
                                         kept: kept, base: base, parent: parent)
            }
        }
    }

    /// The requests of a refused job, in two halves, each a job of its own from HEAD as the half
    /// before left it: the requests the others' cost sank are published, and the one that
    /// costs too much fails alone with its own numbers. Requests withdrawn meanwhile are left out.
    private func performApart(_ members: [JobPlan.Member], settings: JobSettings, store: CheckpointStore, intake: RequestIntake,
                              texts: ModelTexts, kept: KeptData, base: BaseReference, nextAttempt: Int,
                              attempts: [String: [JSONValue]]) throws {
        let half = (members.count + 1) / 2
        logger.notice("the gate refused the job's version as a whole; its requests are tried in two halves", metadata: [
            "request": "\(members.map(\.record.id).joined(separator: ","))", "halves": "\(half), \(members.count - half)"])
        let planner = JobPlanner(spool: intake.spool, registry: store.registry, configuration: configuration)
        for part in [members[..<half], members[half...]] {
            let running = Set(try store.registry.requests(status: .running).map(\.id))
            let open = part.filter { running.contains($0.record.id) }
            guard !open.isEmpty else { continue }
            let plan = try planner.escalation(of: Array(open), head: try store.head(), settings: settings)
            try perform(plan, store: store, intake: intake, texts: texts, kept: kept, base: base, firstAttempt: nextAttempt, attempts: attempts)
        }
    }

    /// Records the gate's scores: with a version, the job's items it forgets are forgotten by it
    /// (the others stay pending) and the sample's items it no longer forgets are pending again;
    /// without one (a failed gate) only the scores change. Withdrawn items keep their state, and
    /// a failed item a new request named leaves it only when forgotten. The job's items keep
    /// every attempt of this job at them (`attempts`), which a failed request's error file shows,
    /// and the items a version forgets keep its answer to them if fluent (`HeldAnswer`).
    private func recordScores(_ result: JobResult, plan: JobPlan, version: Int?, attempts: [String: [JSONValue]],
                              in transaction: RegistryTransaction) throws {
        let forgotten = Set(plan.targets.map(\.id)).subtracting(result.gate.unforgotten), regressed = Set(result.gate.regressed)
        for (id, score) in result.gate.scores {
            guard var item = try transaction.forgetItem(id: id) else { continue }
            // An item only sampled keeps the attempts of the job that last trained it.
            let earlier = item.latestScores
            item.latestScores = score.record(version: version)
            item.latestScores?["attempts"] = attempts[id].map(JSONValue.array) ?? earlier?["attempts"]
            item.latestScores?[HeldAnswer.key] = HeldAnswer.updated(
                earlier: earlier, forgottenNow: version != nil && forgotten.contains(id), generated: score.generated,
                fluency: result.gate.jobFluencies[id], minFluency: configuration.gate.minFluency)
            if let version, item.state != .withdrawn {
                if forgotten.contains(id) {
                    item.state = .forgotten
                    item.forgottenInVersion = version
                } else if regressed.contains(id) {
                    item.state = .pending
                }
            }
            try transaction.updateForgetItem(item)
        }
    }

    private func requeue(_ ids: [String], store: CheckpointStore) throws {
        try store.registry.transaction { transaction in
            for id in ids where try transaction.request(id: id)?.status == .running {
                try transaction.updateRequestStatus(id: id, to: .queued)
            }
        }
        status.job = nil
    }

    /// Fails the requests still open (a withdrawal may have ended one meanwhile), their items not
    /// forgotten with them (`failed`: nothing re-applies them until a request asks them again),
    /// and answers them all.
    private func fail(_ requests: [RequestRecord], error: [String: JSONValue], store: CheckpointStore, intake: RequestIntake) throws {
        status.job = nil
        let planner = JobPlanner(spool: intake.spool, registry: store.registry, configuration: configuration)
        for request in requests {
            let items = try planner.items(of: request)
            let current = try store.registry.transaction { transaction -> RequestRecord? in
                guard let current = try transaction.request(id: request.id) else { return nil }
                guard current.status.isOpen else { return current }
                for id in items.map(\.id) {
                    guard var item = try transaction.forgetItem(id: id), item.state == .pending else { continue }
                    item.state = .failed
                    try transaction.updateForgetItem(item)
                }
                return try transaction.updateRequestStatus(id: request.id, to: .failed, error: error)
            }
            guard let current else { continue }
            try intake.answer(current)
            logger.warning("request failed", metadata: ["request": "\(request.id)", "status": "\(current.status.rawValue)",
                                                        "reason": "\(error["message"]?.stringValue ?? "")"])
        }
    }

    /// Re-opened items that wait until HEAD moves (their job on `head` could not forget them).
    private func postpone(_ items: [String], head: Int) {
        guard !items.isEmpty else { return }
        let earlier = deferredReopened?.head == head ? deferredReopened!.items : []
        deferredReopened = (head, earlier.union(items))
    }

    /// Ends the queued requests a plan could not take: unreadable ones fail, ones whose every
    /// item was withdrawn are withdrawn.
    private func end(_ requests: [UnplannableRequest], store: CheckpointStore, intake: RequestIntake) throws {
        for entry in requests {
            let ended: RequestRecord
            switch entry {
            case .unreadable(let record, let error):
                // Its items leave the pending state with it, as any failed request's do.
                try fail([record], error: ["message": .string(error.reason), "field": error.field.map(JSONValue.string) ?? .null],
                         store: store, intake: intake)
                continue
            case .allWithdrawn(let record):
                ended = try intake.registry.updateRequestStatus(id: record.id, to: .withdrawn)
            }
            try intake.answer(ended)
            logger.notice("request ended before it ran", metadata: ["request": "\(ended.id)", "status": "\(ended.status.rawValue)"])
        }
    }

    // MARK: Waiting, status, watchdog

    /// Sleeps until the spool changes, the rescan interval (or `atMost` seconds) passes, or a
    /// signal asks for attention.
    private func waitForWork(_ watcher: SpoolWatcher, atMost limit: Double = .infinity) {
        var remaining = min(configuration.rescanSeconds, max(0.1, limit))
        while remaining > 0 && !cancellation.isCancelled && !reloadRequested.isRaised {
            let slice = min(0.25, remaining)
            if watcher.wait(timeout: .milliseconds(Int64(slice * 1000))) { return }
            remaining -= slice
            cancellation.beat()
        }
    }

    /// Writes `status.json` and systemd's STATUS=. The status is advisory: when it cannot be
    /// written (a full spool, a busy registry) the job goes on and the fault is logged once.
    private func publishStatus(_ state: DaemonStatus.State, store: CheckpointStore, force: Bool) {
        let now = Date()
        cancellation.beat()
        guard force || state != status.state || now.timeIntervalSince(lastStatusWrite) >= 0.5 else { return }
        status.state = state
        if state != .working { status.job = nil }
        status.updatedAt = now
        lastStatusWrite = now
        do {
            status.head = try store.registry.head()
            status.queued = try store.registry.requests(status: .queued).count
            try folders?.writeStatus(status.encoded())
            if statusWriteFault != nil { logger.notice("status.json is written again") }
            statusWriteFault = nil
        } catch {
            if statusWriteFault != "\(error)" { logger.warning("status not written; the daemon goes on: \(error)") }
            statusWriteFault = "\(error)"
        }
        notifier.status(status.line)
    }

    /// Jobs wait for the fault to pass: the next try after a back-off that doubles with each
    /// try that meets it; requests keep being taken in meanwhile.
    private func postponeJobs(_ fault: TransientFault) {
        let attempts = (status.postponement?.attempts ?? 0) + 1
        let retry = Date().addingTimeInterval(TransientFault.backoff(attempt: attempts))
        status.postponement = DaemonStatus.Postponement(reason: fault.reason, since: status.postponement?.since ?? Date(),
                                                        retryAt: retry, attempts: attempts)
        status.job = nil
        logger.warning("jobs postponed by a transient fault; their requests stay queued",
                       metadata: ["reason": "\(fault.reason)", "try": "\(attempts)",
                                  "retry_in_seconds": "\(String(format: "%.0f", retry.timeIntervalSinceNow))"])
    }

    /// Pings systemd's watchdog while the loop or the job shows signs of life.
    private func startWatchdog() -> DispatchSourceTimer? {
        guard let interval = ServiceNotifier.watchdogInterval() else { return nil }
        let seconds = interval.seconds
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "lethe.watchdog"))
        timer.schedule(deadline: .now(), repeating: seconds / 2)
        timer.setEventHandler { [self] in
            if Date().timeIntervalSince(cancellation.lastBeat) < 2 * seconds { notifier.watchdog() }
        }
        timer.resume()
        return timer
    }

    private func log(_ outcome: IntakeOutcome) {
        switch outcome {
        case .queued(let file, let request, let newItems, let knownItems):
            logger.info("queued", metadata: ["request": "\(request)", "file": "\(file)", "new_items": "\(newItems)", "known_items": "\(knownItems)"])
        case .withdrew(let file, let request, let items):
            logger.info("withdrew items", metadata: ["request": "\(request)", "file": "\(file)", "items": "\(items.count)"])
        case .duplicate(let file, let request, let existing, let status):
            logger.info("duplicate answered from the registry", metadata: ["request": "\(request)", "file": "\(file)",
                                                                           "duplicate_of": "\(existing)", "status": "\(status.rawValue)"])
        case .refused(let file, let error):
            logger.warning("refused", metadata: ["file": "\(file)", "field": "\(error.field ?? "-")", "reason": "\(error.reason)"])
        case .resumed(let file, let request):
            logger.info("resumed after restart", metadata: ["request": "\(request)", "file": "\(file)"])
        case .deferred(let file, let reason):
            logger.error("left in the spool, tried again later", metadata: ["file": "\(file)", "reason": "\(reason)"])
        }
    }

    /// Who the audit log names for the daemon's versions.
    static var actor: String { "lethe-daemon (\(StoreActor.current))" }

    /// One attempt at `plan` (the job, or a step of the ladder): trains, gates, publishes a
    /// version for the requests whose every item it forgets and answers them. Returns the
    /// requests that miss items while the utility budget holds, for the next step.
    private func attemptJob(_ plan: JobPlan, step: EscalationStep, attempt: Int, attempts: inout [String: [JSONValue]],
                            store: CheckpointStore, intake: RequestIntake, texts: ModelTexts, kept: KeptData,
                            base: BaseReference, parent: ParentWeights) throws -> AttemptOutcome {
        let ids = plan.requestIDs
        let metadata: Logger.Metadata = ["request": "\(ids.joined(separator: ","))", "head": "\(plan.head)"]
        logger.info("job started", metadata: metadata.merging([
            "items": "\(plan.targets.count)", "reopened": "\(plan.reopened.count)", "replay": "\(plan.replay.count)",
            "method": "\(plan.settings.method.rawValue)", "attempt": "\(attempt)"]) { $1 })
        let jobStarted = Date()
        var lastIntake = jobStarted
        let job = UpdateJob(plan: plan, store: store, configuration: configuration, texts: texts, kept: kept, base: base,
                            parent: parent, cancellation: cancellation) { [self] progress in
            status.job = DaemonStatus.Job(requests: ids, items: plan.targets.count, parent: plan.head, startedAt: jobStarted, progress: progress)
            publishStatus(.working, store: store, force: progress.phase != .training)
            // Requests that arrive meanwhile are recorded (and refusals, duplicates and
            // withdrawals answered) at once; they wait for the next job.
            guard Date().timeIntervalSince(lastIntake) >= 0.5 else { return }
            lastIntake = Date()
            let outcomes = (try? intake.ingestWaiting()) ?? []
            outcomes.forEach(log)
            let withdrew = outcomes.contains { if case .withdrew = $0 { true } else { false } }
            if withdrew, plan.reopened.isEmpty, try store.registry.requests(status: .running).isEmpty { throw JobWithdrawn() }
        }
        let result: JobResult
        do {
            result = try job.run(attempt: attempt, step: step.kind)
        } catch is JobInterrupted {
            try requeue(ids, store: store)
            logger.notice("job interrupted by the shutdown; its requests are queued again", metadata: metadata)
            return .ended
        } catch let withdrawn as JobWithdrawn {
            status.job = nil
            logger.notice("\(withdrawn); nothing published", metadata: metadata)
            return .ended
        } catch let error as UnreadableItem {
            try requeue(ids, store: store)
            let owners = plan.members.filter { $0.items.contains { $0.id == error.item.id } }.map(\.record)
            if owners.isEmpty { postpone([error.item.id], head: plan.head) }
            try fail(owners, error: ["message": .string("\(error)"), "field": .string("forget")], store: store, intake: intake)
            return .ended
        }
        let unforgotten = Set(result.gate.unforgotten)
        for item in plan.targets {
            guard let score = result.gate.scores[item.id] else { continue }
            attempts[item.id, default: []].append(step.record(attempt: attempt, itemsTrained: plan.targets.count, score: score,
                                                              forgotten: !unforgotten.contains(item.id), item: item.id,
                                                              served: result.gate.served))
        }
        // The gate decides per request: a version within the utility budget is published for the
        // requests whose every item it forgets (and the re-opened items it forgets again); the
        // job's other requests go on to the next step of the ladder.
        // A withdrawal taken in during the job may have ended some of its requests (the intake
        // runs on this thread, so nothing changes them between here and the commit).
        let running = Set(try store.registry.requests(status: .running).map(\.id))
        let members = plan.members.filter { running.contains($0.record.id) }
        if members.isEmpty && plan.reopened.isEmpty {
            status.job = nil
            logger.notice("\(JobWithdrawn()); nothing published", metadata: metadata)
            return .ended
        }
        let applied = members.filter { member in !member.items.contains { unforgotten.contains($0.id) } }
        let missed = members.filter { member in member.items.contains { unforgotten.contains($0.id) } }
        let reapplied = plan.reopened.filter { !unforgotten.contains($0.id) }
        let stillPending = Set(plan.reopened.map(\.id)).subtracting(reapplied.map(\.id))
        guard result.gate.isPublishable, !applied.isEmpty || (members.isEmpty && !reapplied.isEmpty) else {
            postpone(plan.reopened.map(\.id), head: plan.head)
            try store.registry.transaction { transaction in
                try recordScores(result, plan: plan, version: nil, attempts: attempts, in: transaction)
            }
            status.job = nil
            if result.gate.isPublishable && !missed.isEmpty { return .missed(missed, head: plan.head, result: result) }
            if members.count > 1 { return .refused(members) }
            // More epochs or a higher rate would only cost more utility or forget further: the ladder stops here.
            let message = "the update did not pass the gate after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(result.gate.failureReason ?? "")"
            logger.warning("job failed its gate", metadata: metadata.merging(["reason": "\(message)"]) { $1 })
            try fail(members.map(\.record), error: result.errorFields.merging(["message": .string(message)]) { $1 }, store: store, intake: intake)
            return .ended
        }
        let appliedIDs = applied.map(\.record.id)
        status.job?.progress = JobProgress(phase: .publishing, attempt: attempt)
        publishStatus(.working, store: store, force: true)
        let version: VersionRecord
        do {
            version = try store.commit(result.model, CommitDetails(
                kind: "unlearn", method: result.settings.method.rawValue, hyperparameters: result.settings.hyperparameters,
                metrics: result.metrics, note: "forgot \(plan.targets.count - unforgotten.count) of \(plan.targets.count) items (\(plan.reopened.count) re-opened), replayed \(plan.replay.count)",
                requests: appliedIDs, reason: appliedIDs.isEmpty ? "re-applied pending items" : "forget requests \(appliedIDs.joined(separator: ", "))",
                actor: Self.actor), parent: plan.head, parentWeights: parent.bytes, expectedHead: plan.head) { transaction, version in
                // A withdrawal may have ended a request while it trained: it stays as it is.
                for id in appliedIDs where try transaction.request(id: id)?.status == .running {
                    try transaction.updateRequestStatus(id: id, to: .applied, version: version.id)
                }
                try recordScores(result, plan: plan, version: version.id, attempts: attempts, in: transaction)
            }
        } catch RegistryError.headMoved(_, let actual) {
            try requeue(plan.requestIDs, store: store)
            logger.notice("HEAD moved while the job ran (a rollback); the job runs again on the new HEAD",
                          metadata: metadata.merging(["new_head": "\(actual.map(String.init) ?? "-")"]) { $1 })
            return .ended
        }
        deferredReopened = stillPending.isEmpty ? nil : (version.id, stillPending)
        logger.info("version published", metadata: metadata.merging([
            "version": "\(version.id)", "utility": "\(String(format: "%.4f", result.gate.utility))", "applied": "\(appliedIDs.count)",
            "missed": "\(missed.count)", "attempt": "\(attempt)", "seconds": "\(String(format: "%.1f", Date().timeIntervalSince(jobStarted)))"]) { $1 })
        for id in appliedIDs {
            guard let record = try store.registry.request(id: id) else { continue }
            try intake.answer(record)
            logger.log(level: record.status == .applied ? .info : .warning, "answered",
                       metadata: ["request": "\(id)", "status": "\(record.status.rawValue)", "version": "\(version.id)"])
        }
        status.job = nil
        return missed.isEmpty ? .ended : .missed(missed, head: version.id, result: result)
    }

    /// Fails a request whose items the ladder's last step did not forget, naming them and the
    /// steps tried; each item's attempts and numbers are in its scores (`attempts`).
    private func failUnforgotten(_ member: JobPlan.Member, result: JobResult, tried: [String], store: CheckpointStore,
                                 intake: RequestIntake) throws {
        let unforgotten = Set(result.gate.unforgotten)
        let items = member.items.map(\.id).filter(unforgotten.contains)
        let message = "does not forget \(items.count) item\(items.count == 1 ? "" : "s") after \(tried.count) attempt\(tried.count == 1 ? "" : "s") "
            + "(\(tried.joined(separator: ", "))): \(items.prefix(5).joined(separator: ", "))\(items.count > 5 ? ", …" : ""); "
            + "each item's attempts and numbers are in items[].scores.attempts"
        try fail([member.record], error: result.errorFields.merging([
            "message": .string(message), "unforgotten": .array(items.map(JSONValue.string)),
            "steps_tried": .array(tried.map(JSONValue.string)),
        ]) { $1 }, store: store, intake: intake)
    }
}
