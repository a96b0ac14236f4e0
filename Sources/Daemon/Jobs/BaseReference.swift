import Foundation
import Model
import Store
import Unlearning

/// The base version every later version is held to: the root of HEAD's lineage (the model as
/// it was imported). Its model is loaded once; its utility is measured once per set of utility
/// questions (on a utility set, from the references recorded with it), and each forget item's
/// p̄ under it once (kept in the item's scores).
final class BaseReference {
    let version: Int
    let model: LlamaModel
    private var utilities: [[String]: Double] = [:]

    init(store: CheckpointStore, head: Int) throws {
        version = try store.registry.read { try $0.lineage(of: head) }.last ?? head
        model = try store.loadModel(version: version)
    }

    /// The base model's utility on the items `key` names: `measure`d on first use.
    func utility(of key: [String], measure: () throws -> Double) rethrows -> Double {
        if let known = utilities[key] { return known }
        let measured = try measure()
        utilities[key] = measured
        return measured
    }
}
