import Foundation
import XCTest
@testable import Daemon

/// `SPOOL/status.json`: its times are ISO 8601 UTC strings, and a status an earlier daemon wrote still reads.
final class DaemonStatusTests: XCTestCase {
    private var spool: URL!

    override func setUpWithError() throws {
        spool = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: spool)
    }

    private func write(_ bytes: [UInt8]) throws {
        try Data(bytes).write(to: spool.appendingPathComponent(DaemonStatus.fileName))
    }

    func testTimesAreWrittenAsISO8601UTCWithMillisecondsAndReadBack() throws {
        let started = Date(timeIntervalSince1970: 1_796_544_900.25)
        var status = DaemonStatus(state: .working, startedAt: started, head: 3, queued: 1, job: DaemonStatus.Job(
            requests: ["r1"], items: 2, parent: 3, startedAt: started, progress: JobProgress(phase: .training, attempt: 1)))
        status.updatedAt = started
        status.postponement = DaemonStatus.Postponement(reason: "disk full", since: started, retryAt: started.addingTimeInterval(30), attempts: 2)
        let bytes = try status.encoded()
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual(document["started_at"] as? String, "2026-12-06T08:15:00.250Z")
        XCTAssertEqual(document["updated_at"] as? String, "2026-12-06T08:15:00.250Z")
        XCTAssertEqual((document["job"] as? [String: Any])?["started_at"] as? String, "2026-12-06T08:15:00.250Z")
        XCTAssertEqual((document["postponement"] as? [String: Any])?["retry_at"] as? String, "2026-12-06T08:15:30.250Z")

        try write(bytes)
        let read = try XCTUnwrap(DaemonStatus.read(spool: spool))
        XCTAssertEqual(read.startedAt.timeIntervalSince1970, started.timeIntervalSince1970, accuracy: 1e-6)
        XCTAssertEqual(read.job?.requests, ["r1"])
        XCTAssertEqual(read.postponement?.attempts, 2)
    }

    func testAStatusOfAnEarlierDaemonInWholeSecondsStillReadsAndABadTimeDoesNot() throws {
        let earlier = #"{"pid": 42, "state": "idle", "started_at": "2026-12-06T08:15:00Z", "updated_at": "2026-12-06T08:16:00Z", "queued": 0}"#
        try write(Array(earlier.utf8))
        let read = try XCTUnwrap(DaemonStatus.read(spool: spool))
        XCTAssertEqual(read.startedAt.timeIntervalSince1970, 1_796_544_900)
        XCTAssertEqual(read.updatedAt.timeIntervalSince1970, 1_796_544_960)

        try write(Array(earlier.replacingOccurrences(of: #""2026-12-06T08:15:00Z""#, with: "786700000").utf8))
        XCTAssertNil(DaemonStatus.read(spool: spool), "a number of seconds is no status time")
    }
}
