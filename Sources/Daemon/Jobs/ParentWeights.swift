import Foundation
import Store

/// The safetensors bytes of the version a job starts from, decoded through its delta chain once:
/// every attempt of the escalation ladder builds its model from them, and the commit encodes the
/// new version's delta against them instead of decoding the chain again.
final class ParentWeights {
    let version: Int
    let bytes: [UInt8]

    init(store: CheckpointStore, version: Int) throws {
        self.version = version
        bytes = try store.loadSafeTensorsBytes(version: version)
    }
}
