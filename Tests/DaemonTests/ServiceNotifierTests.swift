import Foundation
import XCTest
@testable import Daemon

/// The sd_notify messages, received on a datagram socket standing in for systemd's.
final class ServiceNotifierTests: XCTestCase {
    private func receivingSocket(path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }

    private func receive(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : "<nothing: \(String(cString: strerror(errno)))>"
    }

    func testReadyStatusWatchdogAndStoppingArriveAsSystemdExpectsThem() throws {
        for path in [FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString)").path,
                     "@lethe-notify-\(UUID().uuidString)"] {
            let socket = try receivingSocket(path: path)
            defer {
                close(socket)
                if path.hasPrefix("/") { unlink(path) }
            }
            let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": path])
            XCTAssertTrue(notifier.isActive)
            XCTAssertTrue(notifier.ready(status: "idle"))
            XCTAssertEqual(receive(socket), "READY=1\nSTATUS=idle")
            XCTAssertTrue(notifier.status("ticket-4711: step 3 of 25, ETA 0:04\nforged=1"))
            XCTAssertEqual(receive(socket), "STATUS=ticket-4711: step 3 of 25, ETA 0:04 forged=1", "a newline cannot add an assignment")
            XCTAssertTrue(notifier.watchdog())
            XCTAssertEqual(receive(socket), "WATCHDOG=1")
            XCTAssertTrue(notifier.stopping(status: "stopping"))
            XCTAssertEqual(receive(socket), "STOPPING=1\nSTATUS=stopping")
        }
    }

    func testWithoutNotifySocketNothingIsSent() {
        for environment in [[:], ["NOTIFY_SOCKET": ""], ["NOTIFY_SOCKET": "relative/path"]] {
            let notifier = ServiceNotifier(environment: environment)
            XCTAssertFalse(notifier.isActive)
            XCTAssertFalse(notifier.ready(status: "idle"))
        }
    }

    func testTheWatchdogIntervalIsHalfOfWhatSystemdAsks() {
        XCTAssertEqual(ServiceNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]), .seconds(15))
        XCTAssertEqual(ServiceNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid())]), .seconds(15))
        XCTAssertNil(ServiceNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]), "meant for another process")
        XCTAssertNil(ServiceNotifier.watchdogInterval(environment: [:]))
    }
}
