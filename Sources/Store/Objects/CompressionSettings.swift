import Foundation

/// How hard and on how many threads objects are compressed.
///
/// The defaults were chosen by measurement on trained Llama weights (docs/store-objects.md,
/// "Measurements"): `level` 3 is the fastest level that still reaches zstd's best ratio for
/// full objects within 0.1 %, and `deltaLevel` 1 compresses XOR/difference byte planes as
/// small as level 3 does at about twice the speed.
public struct CompressionSettings: Sendable, Equatable, Codable {
    /// The zstd level of full objects (1 … 19; negative levels trade ratio for speed).
    public var level: Int32
    /// The zstd level of the frames inside a delta object: byte planes and raw segments.
    public var deltaLevel: Int32
    /// Threads that compress: each compresses independent zstd frames (2 MiB pieces of a full
    /// object, segments of a delta). 0 or 1 means the calling thread only. Decoding takes its
    /// own thread count (`decodeFull`/`decodeDelta`, default one per core).
    public var workers: Int

    public init(level: Int32 = 3, deltaLevel: Int32 = 1, workers: Int = CompressionSettings.defaultWorkers) {
        self.level = level
        self.deltaLevel = deltaLevel
        self.workers = workers
    }

    /// One thread per active core.
    public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }
}
