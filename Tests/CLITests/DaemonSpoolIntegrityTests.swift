import Daemon
import Foundation
import XCTest

/// Finding 1 against the running daemon: `failed/` swapped for a symlink to a folder elsewhere
/// while it serves. The daemon writes nothing through the link, stops serving with a message
/// that says why, and refuses to start on that spool until it is repaired.
final class DaemonSpoolIntegrityTests: XCTestCase {
    func testASwappedFolderStopsTheDaemonBeforeAnythingIsWrittenThroughIt() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        XCTAssertTrue(daemon.wait { daemon.status?.state == .idle }, daemon.log)
        let elsewhere = daemon.directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: daemon.spool.url(.failed), to: daemon.spoolURL.appendingPathComponent("x"))
        try FileManager.default.createSymbolicLink(at: daemon.spool.url(.failed), withDestinationURL: elsewhere)

        try daemon.submit(Data("not a request".utf8))
        XCTAssertTrue(daemon.wait { !(daemon.process?.isRunning ?? false) }, "the daemon stops serving: \(daemon.log)")
        XCTAssertNotEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.log.contains("stopped serving: the spool folder"), daemon.log)
        XCTAssertTrue(daemon.log.contains("was renamed or replaced"), daemon.log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path), [], "nothing written through the link")

        try daemon.start()
        XCTAssertTrue(daemon.wait { !(daemon.process?.isRunning ?? false) }, "it does not start on that spool")
        XCTAssertNotEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.log.contains("failed is not a directory"), daemon.log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path), [])
    }
}
