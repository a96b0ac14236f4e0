import Foundation
@testable import Daemon
import Store

/// A spool and a registry in a fresh temporary folder, with the intake between them.
struct IntakeFixture {
    let root: URL
    let intake: RequestIntake

    init(_ name: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let spool = try SpoolFolders(Spool(root: root.appendingPathComponent("spool")))
        intake = RequestIntake(spool: spool, registry: try Registry(path: root.appendingPathComponent("lethe.sqlite").path),
                               parser: RequestParser())
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
