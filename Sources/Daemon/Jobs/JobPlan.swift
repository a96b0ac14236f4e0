import Foundation
import Model
import Store
import Unlearning

/// What one job does: the queued requests it serves (coalesced while their settings agree and
/// their items fit `max_items_per_job`), the items it must make the model forget (theirs, and
/// items a rollback or an earlier gate left pending), and the forgotten items it replays.
public struct JobPlan: Sendable {
    public struct Member: Sendable {
        public let record: RequestRecord
        public let request: QueuedRequest
        /// The forget-set entries the request names, withdrawn ones left out.
        public let items: [ForgetItemRecord]
    }

    public let head: Int
    public let settings: JobSettings
    public let members: [Member]
    /// Pending items that an earlier version had forgotten (re-opened by a rollback or by a gate).
    public let reopened: [ForgetItemRecord]
    /// Forgotten items trained on again so the update keeps them forgotten.
    public let replay: [ForgetItemRecord]
    /// Forgotten items the gate scores besides the job's own.
    public let gateSample: [ForgetItemRecord]
    /// Forgotten items whose answers, as the version that forgot them gave them, the update holds
    /// as retain examples (`HeldAnswer`).
    public let held: [ForgetItemRecord]

    /// The items this job must leave forgotten: the members' and the re-opened ones, once each.
    public let targets: [ForgetItemRecord]

    public var requestIDs: [String] { members.map(\.record.id) }

    init(head: Int, settings: JobSettings, members: [Member], reopened: [ForgetItemRecord], replay: [ForgetItemRecord],
         gateSample: [ForgetItemRecord], held: [ForgetItemRecord]) {
        (self.head, self.settings, self.members, self.reopened) = (head, settings, members, reopened)
        (self.replay, self.gateSample, self.held) = (replay, gateSample, held)
        var seen = Set<String>()
        targets = (members.flatMap(\.items) + reopened).filter { seen.insert($0.id).inserted }
    }
}

/// A queued request that cannot join a job, with what to record for it.
public enum UnplannableRequest: Sendable {
    /// What was queued no longer reads (a request recorded before the registry kept it, whose
    /// file in active/ changed).
    case unreadable(RequestRecord, RequestError)
    /// Every item it named was withdrawn before it ran.
    case allWithdrawn(RequestRecord)
}

/// Plans the next job from the registry.
public struct JobPlanner: Sendable {
    public let spool: SpoolFolders
    public let registry: Registry
    public let configuration: DaemonConfiguration

    public init(spool: SpoolFolders, registry: Registry, configuration: DaemonConfiguration) {
        self.spool = spool
        self.registry = registry
        self.configuration = configuration
    }

    /// The next job on `head`, or nil when nothing waits; `unplannable` gets the queued
    /// requests that must be ended instead. Re-opened items in `excluding` wait (their last
    /// job on this HEAD failed its gate).
    public func plan(head: Int, excluding: Set<String> = [], unplannable: inout [UnplannableRequest]) throws -> JobPlan? {
        var members: [JobPlan.Member] = []
        var settings: JobSettings?
        var itemCount = 0
        for record in try registry.requests(status: .queued) where record.kind == .forget {
            let request: QueuedRequest
            switch QueuedRequest.of(record, in: spool) {
            case .failure(let error):
                unplannable.append(.unreadable(record, error))
                continue
            case .success(let read): request = read
            }
            let items = try self.items(of: request)
            if items.isEmpty {
                unplannable.append(.allWithdrawn(record))
                continue
            }
            let wanted = JobSettings(configuration: configuration, options: request.options)
            if let settings {
                guard wanted == settings, itemCount + items.count <= configuration.maxItemsPerJob else { continue }
            }
            settings = wanted
            itemCount += items.count
            members.append(JobPlan.Member(record: record, request: request, items: items))
        }
        let named = Set(members.flatMap(\.items).map(\.id))
        // Only pending items are re-opened: a failed item waits for a request that asks it again.
        let reopened = try registry.forgetItems(state: .pending)
            .filter { $0.forgottenInVersion != nil && !named.contains($0.id) && !excluding.contains($0.id) }
            .prefix(max(0, configuration.maxItemsPerJob - itemCount))
        guard !members.isEmpty || !reopened.isEmpty else { return nil }
        return try plan(head: head, settings: settings ?? JobSettings(configuration: configuration), members: members,
                        reopened: Array(reopened))
    }

    /// The job of an escalation step: the items of `members` that HEAD does not forget yet,
    /// on their own, with the step's settings.
    public func escalation(of members: [JobPlan.Member], head: Int, settings: JobSettings) throws -> JobPlan {
        let remaining = try members.map { member in
            let items = try member.items.compactMap { try registry.forgetItem(id: $0.id) }.filter { $0.state != .forgotten && $0.state != .withdrawn }
            return JobPlan.Member(record: member.record, request: member.request, items: items)
        }
        return try plan(head: head, settings: settings, members: remaining, reopened: [])
    }

    /// The forget-set entries `record` names (withdrawn ones left out), or when what was queued
    /// no longer reads, the items the request brought.
    public func items(of record: RequestRecord) throws -> [ForgetItemRecord] {
        guard case .success(let request) = QueuedRequest.of(record, in: spool) else {
            return try registry.forgetItems(request: record.id).filter { $0.state != .withdrawn }
        }
        return try items(of: request)
    }

    /// The forget-set entries the request names, withdrawn ones left out. A failed item a new
    /// request names is the new request's to forget.
    private func items(of request: QueuedRequest) throws -> [ForgetItemRecord] {
        try request.fingerprints.compactMap { try registry.forgetItem(fingerprint: $0) }.filter { $0.state != .withdrawn }
    }

    /// A job of `members` and `reopened` with what every job replays, holds and its gate samples.
    private func plan(head: Int, settings: JobSettings, members: [JobPlan.Member], reopened: [ForgetItemRecord]) throws -> JobPlan {
        let named = Set(members.flatMap(\.items).map(\.id))
        let forgotten = try registry.forgetItems(state: .forgotten).filter { !named.contains($0.id) }
        let sample = configuration.gate.forgetSample == 0 ? forgotten : forgotten.evenlySpaced(configuration.gate.forgetSample)
        return JobPlan(head: head, settings: settings, members: members, reopened: reopened,
                       replay: configuration.update.startFromBase ? forgotten : forgotten.evenlySpaced(configuration.replayItems),
                       gateSample: sample,
                       held: forgotten.filter { HeldAnswer.of($0) != nil }.evenlySpaced(configuration.heldAnswers))
    }
}
