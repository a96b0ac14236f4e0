import ArgumentParser
import Foundation
import Store

/// `--store DIR` and `--json`, shared by every store command.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store's root folder.")
    var store: String = "Checkpoints"
    @Flag(help: "Print the result as JSON.")
    var json = false

    var root: URL { URL(fileURLWithPath: store) }

    func open() throws -> CheckpointStore { try CheckpointStore(root: root) }
}

/// "3,5, 8" → {3, 5, 8}; anything else is a usage error naming the bad item.
func parseVersionList(_ text: String) throws -> Set<Int> {
    Set(try text.split(separator: ",").map { item in
        guard let id = Int(item.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw ValidationError("'\(item)' is not a version number")
        }
        return id
    })
}
