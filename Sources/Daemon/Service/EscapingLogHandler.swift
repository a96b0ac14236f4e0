import Logging

/// A log handler that escapes every message and metadata value before the handler it wraps
/// writes them, so that nothing from a request or a file name (a newline, an escape
/// sequence, a bidirectional override) can start a forged log line or drive the terminal.
public struct EscapingLogHandler: LogHandler {
    private var inner: any LogHandler
    /// Longest message or value kept: a hostile name cannot flood the journal.
    static let limit = 4096

    public init(wrapping inner: any LogHandler) { self.inner = inner }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var escaped = event
        escaped.message = "\(SafeText.escaped(event.message.description, limit: Self.limit))"
        escaped.metadata = event.metadata?.mapValues(Self.escaped)
        inner.log(event: escaped)
    }

    static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(SafeText.escaped(text, limit: limit))
        case .stringConvertible(let convertible): .string(SafeText.escaped(convertible.description, limit: limit))
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let values): .dictionary(values.mapValues(escaped))
        }
    }
}
