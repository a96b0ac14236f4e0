import Foundation

/// systemd's notification protocol (`sd_notify(3)`), spoken directly: one datagram of
/// `KEY=VALUE` lines to the AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or an abstract
/// name when it starts with '@'). Without the variable every call does nothing, so the daemon
/// runs the same outside systemd.
public final class ServiceNotifier: @unchecked Sendable {
    private let address: sockaddr_un?
    private let addressLength: socklen_t
    private let descriptor: Int32

    /// Reads `$NOTIFY_SOCKET` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108,
              path.hasPrefix("/") || path.hasPrefix("@") else {
            address = nil
            addressLength = 0
            descriptor = -1
            return
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 } // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        self.address = address
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    public var isActive: Bool { address != nil && descriptor >= 0 }

    /// Sends `fields` as one message; false when not under systemd or when the send failed
    /// (a notification is advice to the service manager: its loss never stops the daemon, and
    /// a receiver that does not read never blocks it).
    @discardableResult
    public func notify(_ fields: [(String, String)]) -> Bool {
        guard var address, descriptor >= 0 else { return false }
        // A newline inside a value would start a new assignment: flatten it.
        let message = fields.map { "\($0.0)=\($0.1.replacingOccurrences(of: "\n", with: " "))" }.joined(separator: "\n")
        let sent = message.withCString { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, text, strlen(text), Int32(MSG_NOSIGNAL | MSG_DONTWAIT), $0, addressLength)
                }
            }
        }
        return sent >= 0
    }

    @discardableResult public func ready(status: String) -> Bool { notify([("READY", "1"), ("STATUS", status)]) }
    @discardableResult public func status(_ text: String) -> Bool { notify([("STATUS", text)]) }
    @discardableResult public func watchdog() -> Bool { notify([("WATCHDOG", "1")]) }
    @discardableResult public func stopping(status: String) -> Bool { notify([("STOPPING", "1"), ("STATUS", status)]) }

    /// Half of `$WATCHDOG_USEC` (systemd's advice for the ping interval), nil without one.
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) { return nil }
        return .microseconds(Int64(microseconds / 2))
    }
}
