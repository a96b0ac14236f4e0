/// How a store encodes new versions.
public struct StoreSettings: Sendable, Equatable, Codable {
    /// zstd level and threads for objects.
    public var compression = CompressionSettings()
    /// A full object is written when a delta would make the chain to the nearest full
    /// object longer than this, so restoring any version decodes at most this many objects
    /// after one full one.
    public var keyframeInterval = 8

    public init(compression: CompressionSettings = CompressionSettings(), keyframeInterval: Int = 8) {
        self.compression = compression
        self.keyframeInterval = keyframeInterval
    }
}
