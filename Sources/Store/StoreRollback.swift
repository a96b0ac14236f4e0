import Foundation

extension CheckpointStore {
    /// Moves HEAD to `version` and records why in the audit log. Nothing is deleted. In the
    /// same transaction, forget-set items that no version in `version`'s lineage forgot are
    /// pending again; they are returned.
    @discardableResult
    public func rollback(to version: Int, reason: String, actor: String = StoreActor.current) throws -> [ForgetItemRecord] {
        guard try registry.version(version) != nil else { throw StoreError.unknownVersion(version) }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw StoreError.invalidArgument("a rollback needs a reason (--reason)")
        }
        return try registry.transaction { transaction in
            try transaction.moveHead(to: version, reason: reason, actor: actor)
            return try transaction.reopenForgetItems(notForgottenBy: version)
        }
    }
}
