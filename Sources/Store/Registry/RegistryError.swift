import Foundation

/// What went wrong in the registry, with what it concerns; the description is a sentence
/// a user can act on.
public enum RegistryError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The database file could not be opened or created.
    case cannotOpen(path: String, reason: String)
    /// The database was migrated by a newer Lethe: these migrations are unknown to this one.
    case schemaTooNew(path: String, unknownMigrations: [String])
    /// Another connection held the database locked for longer than the busy timeout.
    case busy(path: String, timeout: TimeInterval)
    /// The disk under the database is full or failing (SQLITE_FULL, SQLITE_IOERR): a fault
    /// that passes when space returns.
    case storage(path: String, message: String)
    /// SQLite refused an operation (a constraint, …); `message` is SQLite's.
    case database(message: String)

    case unknownObject(String)
    /// The object id is in use by a record with different contents.
    case objectConflict(id: String)
    /// A delta object's base is not in the registry.
    case unknownBaseObject(object: String, base: String)
    /// The object record breaks a rule (malformed id, a delta without a base, a base cycle, …).
    case invalidObject(id: String, reason: String)
    /// Versions still use the object.
    case objectInUse(id: String, versions: [Int])
    /// Delta objects still decode against the object.
    case objectHasDependents(id: String, dependents: [String])

    case unknownVersion(Int)
    /// The id is not the next version id (ids are assigned in order and never reused).
    case versionIDUnavailable(id: Int, next: Int)
    case unknownParent(version: Int, parent: Int)
    /// A parent must be older (have a smaller id) than its child.
    case invalidParent(version: Int, parent: Int)
    /// The recorded chain length differs from the number of delta hops of the object.
    case chainLengthMismatch(version: Int, object: String, recorded: Int, actual: Int)
    /// HEAD is not what the caller started from (optimistic concurrency).
    case headMoved(expected: Int?, actual: Int?)
    /// A HEAD move needs a reason and an actor for the audit log.
    case missingReasonOrActor(version: Int)
    case cannotDeleteHead(Int)
    case versionHasChildren(version: Int, children: [Int])
    case versionNamedByOpenRequests(version: Int, requests: [String])

    case unknownRequest(String)
    case duplicateRequest(id: String)
    /// A request with the same content hash exists under another id.
    case duplicateRequestContent(contentHash: String, existingRequest: String)
    case invalidStatusTransition(request: String, from: RequestRecord.Status, to: RequestRecord.Status)

    case unknownForgetItem(String)
    case duplicateForgetItemID(String)
    /// An item with the same fingerprint (the same normalised content) is already in the forget set.
    case duplicateForgetItem(fingerprint: String, existingItem: String)
    /// An update tried to change what an item asks to forget, or which request asked it.
    case forgetItemContentChanged(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "Cannot open the registry \(path): \(reason)."
        case .storage(let path, let message):
            return "The registry \(path) cannot be written (the disk is full or failing): \(message)."
        case .schemaTooNew(let path, let unknown):
            return "The registry \(path) was migrated by a newer Lethe (migrations "
                + "\(unknown.joined(separator: ", ")) are unknown to this one); use that version or newer."
        case .busy(let path, let timeout):
            return "The registry \(path) stayed locked by another connection for more than "
                + "\(formatSeconds(timeout)) s; retry, or raise the busy timeout."
        case .database(let message):
            return "The registry's database refused the operation: \(message)."
        case .unknownObject(let id):
            return "Object \(id) is not in the registry."
        case .objectConflict(let id):
            return "Object \(id) is already registered with a different encoding, size or path."
        case .unknownBaseObject(let object, let base):
            return "Delta object \(object) names base object \(base), which is not in the registry."
        case .invalidObject(let id, let reason):
            return "Object \(id) cannot be registered: \(reason)."
        case .objectInUse(let id, let versions):
            return "Object \(id) cannot be deleted: \(plural(versions.count, "version")) "
                + "\(list(versions)) use it."
        case .objectHasDependents(let id, let dependents):
            return "Object \(id) cannot be deleted: \(plural(dependents.count, "delta object")) "
                + "\(dependents.joined(separator: ", ")) decode against it; re-encode them first."
        case .unknownVersion(let id):
            return "Version \(id) does not exist."
        case .versionIDUnavailable(let id, let next):
            return "Version id \(id) cannot be used: the next version id is \(next) (ids are never reused)."
        case .unknownParent(let version, let parent):
            return "Version \(version) names parent \(parent), which does not exist."
        case .invalidParent(let version, let parent):
            return "Version \(version) cannot have version \(parent) as parent: a parent is always older "
                + "(has a smaller id) than its child."
        case .chainLengthMismatch(let version, let object, let recorded, let actual):
            return "Version \(version) records a delta chain of \(recorded), but its object \(object) "
                + "is \(actual) delta hops from a full object."
        case .headMoved(let expected, let actual):
            return "HEAD moved while the update ran: it was \(describe(expected)) when the job started "
                + "and is \(describe(actual)) now; re-run the update on the new HEAD."
        case .missingReasonOrActor(let version):
            return "Moving HEAD to version \(version) needs a non-empty reason and actor: the audit log records both."
        case .cannotDeleteHead(let id):
            return "Version \(id) is HEAD and cannot be deleted; roll back to another version first."
        case .versionHasChildren(let version, let children):
            return "Version \(version) cannot be deleted: it is the parent of \(plural(children.count, "version")) "
                + "\(list(children))."
        case .versionNamedByOpenRequests(let version, let requests):
            return "Version \(version) cannot be deleted: open \(requests.count == 1 ? "request" : "requests") "
                + "\(requests.joined(separator: ", ")) name it."
        case .unknownRequest(let id):
            return "Request \(id) is not in the registry."
        case .duplicateRequest(let id):
            return "Request \(id) is already in the registry."
        case .duplicateRequestContent(let hash, let existing):
            return "A request with the same content (hash \(hash)) is already in the registry as request \(existing)."
        case .invalidStatusTransition(let request, let from, let to):
            return "Request \(request) cannot go from \(from.rawValue) to \(to.rawValue)."
        case .unknownForgetItem(let id):
            return "Forget item \(id) is not in the registry."
        case .duplicateForgetItemID(let id):
            return "Forget item \(id) is already in the registry."
        case .duplicateForgetItem(let fingerprint, let existing):
            return "The same content (fingerprint \(fingerprint)) is already in the forget set as item \(existing)."
        case .forgetItemContentChanged(let id):
            return "Forget item \(id) cannot change what it asks to forget or the request that asked it; "
                + "only its state, forgotten_in_version and latest_scores change."
        }
    }

    public var errorDescription: String? { description }
}

private func describe(_ version: Int?) -> String {
    version.map { "version \($0)" } ?? "unset"
}

private func plural(_ count: Int, _ noun: String) -> String {
    count == 1 ? noun : noun + "s"
}

private func list(_ ids: [Int]) -> String {
    ids.map(String.init).joined(separator: ", ")
}

private func formatSeconds(_ seconds: TimeInterval) -> String {
    seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds)
}
