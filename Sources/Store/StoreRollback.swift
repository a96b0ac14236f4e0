import Foundation

extension CheckpointStore {
    /// Moves HEAD to `version` and records why in the audit log. Nothing is deleted.
    public func rollback(to version: Int, reason: String, actor: String = StoreActor.current) throws {
        guard try registry.version(version) != nil else { throw StoreError.unknownVersion(version) }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw StoreError.invalidArgument("a rollback needs a reason (--reason)")
        }
        try registry.moveHead(to: version, reason: reason, actor: actor)
    }
}
