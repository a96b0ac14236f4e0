import Dispatch

/// Sizes and speeds of the object codecs on one pair of files, with `zstd -3` beside them:
/// the figures of `lethe bench store`.
public struct ObjectCodecMeasurement: Codable, Sendable, Equatable {
    /// The target file's size (the base's, for the transform comparison, is the same layout).
    public var rawByteCount: Int
    /// The target compressed as `zstd -3` does it: one frame at level 3, checksum on.
    public var zstdLevel3ByteCount: Int
    public var fullByteCount: Int
    public var deltaByteCount: Int
    /// The plane frames of the changed 32-bit segments under each candidate transform
    /// (`xor`, `difference`, `zigzagDifference`), at the settings' level; deltas use `zigzagDifference`.
    public var planeByteCountsByTransform: [String: Int]
    /// Raw bytes of the changed 32-bit segments those plane frames encode.
    public var changedWordByteCount: Int
    /// Throughputs in MB/s (10⁶ bytes) of safetensors bytes, best of the repetitions.
    public var fullCompressMBPerSecond: Double
    public var fullRestoreMBPerSecond: Double
    public var deltaCompressMBPerSecond: Double
    public var deltaRestoreMBPerSecond: Double
    public var workers: Int

    public var fullRatioVsZstd: Double { Double(fullByteCount) / Double(zstdLevel3ByteCount) }
    public var deltaRatioVsZstd: Double { Double(deltaByteCount) / Double(zstdLevel3ByteCount) }
}

extension ObjectCodec {
    /// Encodes `target` full and as a delta against `base` with `settings`, checks that both
    /// restore it exactly, and times each direction (best of `repetitions`).
    public static func measure(
        base: [UInt8], target: [UInt8], settings: CompressionSettings, repetitions: Int = 3
    ) throws(ObjectCodecError) -> ObjectCodecMeasurement {
        let reference = try target.withRawBytes { bytes throws(ObjectCodecError) in
            try ZstdCompressor(level: 3).compress(bytes)
        }
        var full: [UInt8] = []
        var delta: [UInt8] = []
        var restored: [UInt8] = []
        let fullCompress = try bestTime(repetitions) { () throws(ObjectCodecError) in full = try encodeFull(target, settings: settings) }
        let fullRestore = try bestTime(repetitions) { () throws(ObjectCodecError) in
            restored = []  // free the previous result first, as a caller would have
            restored = try decodeFull(full, threads: settings.workers)
        }
        guard restored == target else { throw .corrupt(reason: "the full object does not restore the target") }
        let deltaCompress = try bestTime(repetitions) { () throws(ObjectCodecError) in
            delta = try encodeDelta(base: base, target: target, settings: settings)
        }
        let deltaRestore = try bestTime(repetitions) { () throws(ObjectCodecError) in
            restored = []
            restored = try decodeDelta(base: base, delta: delta, threads: settings.workers)
        }
        guard restored == target else { throw .corrupt(reason: "the delta object does not restore the target") }
        let (planeSizes, changedBytes) = try planeSizesByTransform(base: base, target: target, settings: settings)
        let megabytes = Double(target.count) / 1e6
        return ObjectCodecMeasurement(
            rawByteCount: target.count, zstdLevel3ByteCount: reference.count, fullByteCount: full.count,
            deltaByteCount: delta.count, planeByteCountsByTransform: planeSizes, changedWordByteCount: changedBytes,
            fullCompressMBPerSecond: megabytes / fullCompress, fullRestoreMBPerSecond: megabytes / fullRestore,
            deltaCompressMBPerSecond: megabytes / deltaCompress, deltaRestoreMBPerSecond: megabytes / deltaRestore,
            workers: settings.workers)
    }

    /// The plane frames of the delta's changed 32-bit segments under every transform.
    static func planeSizesByTransform(
        base: [UInt8], target: [UInt8], settings: CompressionSettings
    ) throws(ObjectCodecError) -> (sizes: [String: Int], changedByteCount: Int) {
        let encoder = DeltaEncoder(level: settings.level, threads: 1)
        let segments = try encoder.plan(base: base, target: target).filter { $0.kind.hasPlanes }
        let largest = segments.map(\.range.count).max() ?? 0
        let compressor = try SegmentCompressor(level: settings.level, largestSegment: largest)
        var sizes: [String: Int] = [:]
        try base.withRawBytes { base throws(ObjectCodecError) in
            try target.withRawBytes { target throws(ObjectCodecError) in
                for transform in WordTransform.allCases {
                    var total = 0
                    for segment in segments {
                        let sizes = try compressor.planeFrameSizes(
                            target: UnsafeRawBufferPointer(rebasing: target[segment.range]),
                            base: UnsafeRawBufferPointer(rebasing: base[segment.baseOffset..<(segment.baseOffset + segment.range.count)]),
                            transform: transform)
                        total += sizes.reduce(0, +)
                    }
                    sizes[transform.rawValue] = total
                }
            }
        }
        return (sizes, segments.reduce(0) { $0 + $1.range.count })
    }

    /// The shortest of `repetitions` runs of `body`, in seconds.
    private static func bestTime(_ repetitions: Int, _ body: () throws(ObjectCodecError) -> Void) throws(ObjectCodecError) -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}
