import Daemon
import Foundation
import Store
import XCTest

/// Finding 2: a full disk postpones a valid request, it never fails it. The store and the spool
/// each sit on a small tmpfs this test mounts (it needs root; skipped with a printed reason
/// otherwise) and fills with a ballast file while a request waits; once the ballast is gone,
/// the request is applied.
final class DaemonFullDiskTests: XCTestCase {
    private var mounts: [URL] = []

    override func tearDown() {
        for mount in mounts.reversed() { _ = try? Self.command("/bin/umount", ["-l", mount.path]) }
        mounts = []
    }

    private func mountTmpfs(_ folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = try Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=96m,mode=0750", "tmpfs", folder.path])
        try XCTSkipUnless(result == 0, "could not mount a tmpfs here (mount exited \(result)); the full-disk test needs it")
        mounts.append(folder)
    }

    /// Fills the file system under `folder` to the last byte.
    private func fill(_ folder: URL) -> URL {
        let ballast = folder.appendingPathComponent("ballast")
        let descriptor = open(ballast.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while chunk.count > 0 {
            if chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress!, $0.count) }) < 0 { chunk = Array(chunk.prefix(chunk.count / 2)) }
        }
        close(descriptor)
        return ballast
    }

    func testAFullStoreAndAFullSpoolPostponeARequestUntilSpaceReturns() throws {
        try XCTSkipUnless(geteuid() == 0, "mounting a small tmpfs to fill needs root")
        let daemon = try DaemonHarness()
        try mountTmpfs(daemon.storeURL)
        try mountTmpfs(daemon.spoolURL)
        _ = try SpoolFolders(daemon.spool)
        try daemon.start()
        XCTAssertTrue(daemon.wait { daemon.status?.state == .idle }, daemon.log)

        // The store fills while the first request waits for its job: the object write (or the
        // registry) meets ENOSPC, and the request goes back to the queue.
        let first = try daemon.submit(DaemonHarness.request(id: "store-full", author: "author-001"))
        let registry = try daemon.store().registry
        XCTAssertTrue(try daemon.wait(interval: 0.005) { try registry.request(id: "store-full") != nil })
        let storeBallast = fill(daemon.storeURL)
        XCTAssertTrue(daemon.wait(timeout: 120) { daemon.status?.postponement != nil }, daemon.log)
        let postponed = try XCTUnwrap(daemon.status?.postponement)
        XCTAssertTrue(postponed.reason.contains("space") || postponed.reason.contains("full"), postponed.reason)
        XCTAssertTrue(daemon.log.contains("jobs postponed by a transient fault"), daemon.log)
        XCTAssertEqual(daemon.answered(.failed), [], "a full disk fails nothing")
        XCTAssertTrue(try registry.request(id: "store-full")?.status.isOpen == true)
        try FileManager.default.removeItem(at: storeBallast)
        daemon.waitForAnswers([first], timeout: 180)
        XCTAssertEqual(try daemon.report(first)["status"] as? String, "applied")
        XCTAssertTrue(daemon.wait { daemon.status?.postponement == nil }, "the condition clears once a job goes through")

        // The spool fills: status.json and the answer cannot be written; the job still publishes
        // and the answer follows once there is room.
        let second = try daemon.submit(DaemonHarness.request(id: "spool-full", author: "author-002"))
        let spoolBallast = fill(daemon.spoolURL)
        XCTAssertTrue(try daemon.wait(timeout: 120) { try registry.request(id: "spool-full")?.status == .applied }, daemon.log)
        Thread.sleep(forTimeInterval: 2)
        XCTAssertEqual(daemon.answered(.failed), [])
        XCTAssertTrue(daemon.process?.isRunning ?? false, "the daemon keeps serving")
        try FileManager.default.removeItem(at: spoolBallast)
        daemon.waitForAnswers([second], timeout: 120)
        XCTAssertEqual(try daemon.report(second)["status"] as? String, "applied")
        XCTAssertEqual(daemon.answered(.failed), [])
        XCTAssertEqual(daemon.stop(), 0)
    }

    private static func command(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
