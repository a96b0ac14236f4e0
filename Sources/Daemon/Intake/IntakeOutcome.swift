import Store

/// What the intake did with one file it claimed.
public enum IntakeOutcome: Sendable, Hashable {
    /// Recorded as queued, left in `active/` for a job; `newItems` joined the forget set,
    /// `knownItems` were in it already (asked by an earlier request).
    case queued(file: String, request: String, newItems: Int, knownItems: Int)
    /// A withdraw request, applied at once and answered into `done/`.
    case withdrew(file: String, request: String, items: [String])
    /// A request already recorded (same id or same content): answered into `done/` from the
    /// registry, never applied twice.
    case duplicate(file: String, request: String, existing: String, status: RequestRecord.Status)
    /// Refused and answered into `failed/`.
    case refused(file: String, error: RequestError)
    /// Found in `active/` after a restart, already recorded as open: left for the next job.
    case resumed(file: String, request: String)
    /// Could not be claimed or recorded now (the file system or the registry failed); left
    /// where it is and tried again.
    case deferred(file: String, reason: String)
}
