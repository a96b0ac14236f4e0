import Foundation

/// How hard and on how many threads objects are compressed.
///
/// Measured on trained Llama weights (docs/store.md, "Measurements"): zstd levels
/// 1 to 4 give the same sizes within 0.1 %, for full objects and for delta planes alike,
/// because float bytes leave zstd almost nothing but entropy coding to do; from level 5 on
/// compression drops below 300 MB/s for at most 0.6 % less. Level 3 is zstd's own default.
public struct CompressionSettings: Sendable, Equatable, Codable {
    /// The zstd level of every frame: full-object pieces, delta planes and raw segments.
    public var level: Int32
    /// Threads that compress: each compresses independent zstd frames (2 MiB pieces of a full
    /// object, segments of a delta). 0 or 1 means the calling thread only. Decoding takes its
    /// own thread count (`decodeFull`/`decodeDelta`, default one per core).
    public var workers: Int

    public init(level: Int32 = 3, workers: Int = CompressionSettings.defaultWorkers) {
        self.level = level
        self.workers = workers
    }

    /// One thread per active core.
    public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }
}
