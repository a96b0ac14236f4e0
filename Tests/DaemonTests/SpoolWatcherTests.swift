import Foundation
import XCTest
@testable import Daemon

/// The spool watcher wakes on a hand-over into `incoming/` and otherwise returns at its timeout.
final class SpoolWatcherTests: XCTestCase {
    func testARenameIntoIncomingWakesTheWatcherAndQuietReturnsFalse() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-watch-\(UUID().uuidString)")
        let spool = Spool(root: root)
        _ = try SpoolFolders(spool)
        defer { try? FileManager.default.removeItem(at: root) }
        let watcher = try SpoolWatcher(directory: spool.url(.incoming))
        XCTAssertFalse(watcher.wait(timeout: .milliseconds(50)), "nothing arrived")
        // A file written in tmp/ wakes nothing; its rename into incoming/ does.
        try Data("{}".utf8).write(to: spool.url(.tmp).appendingPathComponent("a.json"))
        XCTAssertFalse(watcher.wait(timeout: .milliseconds(50)))
        _ = try spool.submit(Array("{}".utf8))
        XCTAssertTrue(watcher.wait(timeout: .seconds(10)))
        XCTAssertFalse(watcher.wait(timeout: .milliseconds(50)), "the events were consumed")
    }

    func testWatchingAMissingFolderIsAnError() {
        XCTAssertThrowsError(try SpoolWatcher(directory: URL(fileURLWithPath: "/nonexistent/incoming")))
    }
}
