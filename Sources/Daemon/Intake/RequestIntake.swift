import Foundation
import Model
import Store

/// Claims request files from the spool and records them in the registry: each one is either
/// queued for a job (its items joining the persistent forget set) or answered at once — refused
/// into `failed/`, a duplicate or a withdrawal into `done/`. Nothing here trains.
///
/// Crash safety: a file is claimed (renamed into `active/`) before it is read, and answered
/// only after the registry recorded it; `recoverActive` after a restart finishes whatever a
/// crash interrupted between those steps, so no request is lost or recorded twice.
public struct RequestIntake: Sendable {
    public let spool: SpoolFolders
    public let registry: Registry
    public let parser: RequestParser
    /// Members of this group may withdraw anyone's request (`admin_group`).
    public let adminGroup: String?

    public init(spool: SpoolFolders, registry: Registry, parser: RequestParser, adminGroup: String? = nil) {
        self.spool = spool
        self.registry = registry
        self.parser = parser
        self.adminGroup = adminGroup
    }

    /// Claims and records every file waiting in `incoming/`, oldest first. A file that cannot
    /// be claimed or recorded now is `deferred`, and the others are still served.
    public func ingestWaiting() throws -> [IntakeOutcome] {
        try spool.waiting().compactMap { name in
            do {
                return try spool.claim(name, isTaken: { try registry.request(fileName: $0) != nil }).map(ingest)
            } catch let error as SpoolIntegrityError {
                throw error
            } catch {
                return .deferred(file: name, reason: "\(error)")
            }
        }
    }

    /// Every file in `active/`: one the registry never recorded (a crash or an error came
    /// between claim and record) is ingested now; one whose request ended (a withdrawal, a
    /// crash between the registry and the answer) is answered from the registry; an open one
    /// is left for its job (reported as `resumed` when `reportingOpen`).
    public func settleActive(reportingOpen: Bool = false) throws -> [IntakeOutcome] {
        let byFile = Dictionary(try registry.requests().map { ($0.fileName, $0) }, uniquingKeysWith: { _, latest in latest })
        return try spool.active().compactMap { name in
            do {
                guard let known = byFile[name] else { return try ingest(spool.inspect(.active, name)) }
                if known.status.isOpen {
                    try adoptIfStillTheSame(known)
                    return reportingOpen ? .resumed(file: name, request: known.id) : nil
                }
                try answer(known)
                return .duplicate(file: name, request: known.id, existing: known.id, status: known.status)
            } catch let error as SpoolIntegrityError {
                throw error
            } catch {
                return .deferred(file: name, reason: "\(error)")
            }
        }
    }

    func ingest(_ claim: SpoolFolders.Claim) throws -> IntakeOutcome {
        let request: SpoolRequest, bytes: [UInt8]
        do {
            bytes = try spool.read(claim, limit: parser.limits.maxFileBytes)
            request = try parser.parse(bytes, fileName: claim.name)
        } catch {
            return try refuse(claim.name, error)
        }
        let existing = try registry.read { try $0.request(id: request.id) ?? $0.request(contentHash: request.contentHash) }
        if let existing, existing.contentHash != request.contentHash {
            // Treating it as the earlier request would silently drop what this one asks.
            return try refuse(claim.name, RequestError(file: claim.name, field: "id", reason:
                "is already the id of a different request (received \(LetheJSON.timestamp(existing.receivedAt))); give this one another id"))
        }
        if let existing {
            // The same request again: answered with what became of the first, never applied twice.
            try spool.answer(claim.name, into: existing.status.isFailure ? .failed : .done, report: Self.report([
                "file": .string(claim.name), "request_id": .string(request.id), "duplicate_of": .string(existing.id),
                "status": .string(existing.status.rawValue), "version": existing.version.map { .number(Double($0)) } ?? .null,
            ]))
            return .duplicate(file: claim.name, request: request.id, existing: existing.id, status: existing.status)
        }
        let submitter = Submitter(uid: claim.owner)
        switch request {
        case .forget(let forget):
            let outcome = try queue(forget, file: claim.name, submitter: submitter)
            // Recorded first, so a crash in between keeps who handed it in; settleActive adopts it then.
            try spool.adopt(claim.name, bytes: bytes)
            return outcome
        case .withdraw(let withdraw): return try apply(withdraw, file: claim.name, submitter: submitter)
        }
    }

    /// Adopts a recorded open request's file that is still the submitter's (a crash came between
    /// record and adoption), if it still holds the bytes recorded; a changed one is left for
    /// the planner, which refuses it.
    private func adoptIfStillTheSame(_ request: RequestRecord) throws {
        guard try !spool.isAdopted(request.fileName),
              let bytes = try? spool.read(spool.inspect(.active, request.fileName), limit: RequestParser.accepted.limits.maxFileBytes),
              sha256Hex(bytes) == request.contentHash else { return }
        try spool.adopt(request.fileName, bytes: bytes)
    }

    private func queue(_ request: ForgetRequest, file: String, submitter: Submitter) throws -> IntakeOutcome {
        let items = request.forget.map { item in
            switch item.content {
            case .completion(let prompt, let completion):
                ForgetItemRecord(id: "\(request.id)/\(item.id)", requestID: request.id, kind: .qa, prompt: prompt, completion: completion,
                                 text: nil, fingerprint: RequestParser.fingerprint(item.content))
            case .text(let text):
                ForgetItemRecord(id: "\(request.id)/\(item.id)", requestID: request.id, kind: .text, prompt: nil, completion: nil,
                                 text: text, fingerprint: RequestParser.fingerprint(item.content))
            }
        }
        let record = RequestRecord(id: request.id, kind: .forget, contentHash: request.contentHash, submittedBy: request.submittedBy,
                                   submitterUID: Int(submitter.uid), submitterName: submitter.name, reason: request.reason,
                                   status: .queued, content: try QueuedRequest(request).recorded(), fileName: file)
        let inserted = try registry.transaction { transaction in
            let inserted = try transaction.insertRequest(record, forgetItems: items, skippingDuplicateItems: true)
            // Someone withdrew an item this request asks again, or an earlier request failed to
            // forget it: it is the new request's to forget.
            for item in items {
                guard var known = try transaction.forgetItem(fingerprint: item.fingerprint),
                      [.withdrawn, .failed].contains(known.state) else { continue }
                known.state = .pending
                try transaction.updateForgetItem(known)
            }
            return inserted
        }
        return .queued(file: file, request: request.id, newItems: inserted.count, knownItems: items.count - inserted.count)
    }

    /// Marks the named items withdrawn, and a request whose every item is withdrawn as
    /// withdrawn too (if it had not run yet, it never will). An id that names nothing, or
    /// names a request of another submitter's (unless the withdrawer is an admin), refuses the
    /// whole request.
    private func apply(_ request: WithdrawRequest, file: String, submitter: Submitter) throws -> IntakeOutcome {
        let outcome = try registry.transaction { transaction -> Result<[String], RequestError> in
            var targets: [ForgetItemRecord] = []
            for (index, reference) in request.withdraw.enumerated() {
                let named = reference.contains("/")
                    ? try transaction.forgetItem(id: reference).map { [$0] } ?? []
                    : try transaction.forgetItems(request: reference)
                guard !named.isEmpty else {
                    return .failure(RequestError(file: file, field: "withdraw[\(index)]", reason: "names no request or item of the forget set"))
                }
                for owner in Set(named.map(\.requestID)) {
                    let handedInBy = try transaction.request(id: owner)?.submitterUID
                    guard submitter.mayWithdraw(requestOf: handedInBy, adminGroup: adminGroup) else {
                        return .failure(RequestError(file: file, field: "withdraw[\(index)]", reason:
                            "names a request handed in by another user; only its submitter (the uid that owned its file) or a member of the admin group\(adminGroup.map { " '\(SafeText.escaped($0))'" } ?? " (none is configured: admin_group)") may withdraw it"))
                    }
                }
                targets += named
            }
            try transaction.insertRequest(RequestRecord(id: request.id, kind: .withdraw, contentHash: request.contentHash,
                                                        submittedBy: request.submittedBy, submitterUID: Int(submitter.uid),
                                                        submitterName: submitter.name, reason: request.reason, status: .applied,
                                                        fileName: file))
            var withdrawn: [String] = []
            for var item in targets where item.state != .withdrawn {
                item.state = .withdrawn
                try transaction.updateForgetItem(item)
                withdrawn.append(item.id)
            }
            for requestID in Set(targets.map(\.requestID)) {
                guard let owner = try transaction.request(id: requestID), owner.status.isOpen || owner.status == .applied,
                      try transaction.forgetItems(request: requestID).allSatisfy({ $0.state == .withdrawn }) else { continue }
                try transaction.updateRequestStatus(id: requestID, to: .withdrawn)
            }
            return .success(withdrawn.sorted())
        }
        switch outcome {
        case .failure(let error):
            return try refuse(file, error)
        case .success(let withdrawn):
            try spool.answer(file, into: .done, report: Self.report([
                "file": .string(file), "request_id": .string(request.id), "status": .string("applied"),
                "withdrawn": .array(withdrawn.map(JSONValue.string)),
            ]))
            return .withdrew(file: file, request: request.id, items: withdrawn)
        }
    }

    /// Answers `file` into `failed/` with the error's file, field and reason.
    private func refuse(_ file: String, _ error: RequestError) throws -> IntakeOutcome {
        try spool.answer(file, into: .failed, report: Self.report(["file": .string(file), "field": error.field.map(JSONValue.string) ?? .null,
                                                                  "reason": .string(error.reason)]))
        return .refused(file: file, error: error)
    }

    /// Answers the file of a request the registry has ended (applied, rejected, failed or
    /// withdrawn) from the registry: into `failed/` when it failed or was rejected, `done/`
    /// otherwise. The daemon answers every request this way, so an answer a crash
    /// interrupted is given again the same.
    public func answer(_ request: RequestRecord) throws {
        let named = namedFingerprints(request)
        let fields = try registry.read { transaction in
            let items = try named.map { try $0.compactMap { try transaction.forgetItem(fingerprint: $0) } }
                ?? transaction.forgetItems(request: request.id)
            return try RequestReport.fields(request, items: items, in: transaction)
        }
        try spool.answer(request.fileName, into: request.status.isFailure ? .failed : .done, report: Self.report(fields))
    }

    /// The fingerprints of the items the request names, when what was queued still reads.
    private func namedFingerprints(_ request: RequestRecord) -> [String]? {
        guard request.kind == .forget, case .success(let queued) = QueuedRequest.of(request, in: spool) else { return nil }
        return queued.fingerprints
    }

    static func report(_ fields: [String: JSONValue]) throws -> [UInt8] {
        Array(try LetheJSON.encoder(snakeCaseKeys: false).encode(JSONValue.object(fields))) + [UInt8(ascii: "\n")]
    }
}
