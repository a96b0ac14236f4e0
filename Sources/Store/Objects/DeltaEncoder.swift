import Foundation
import Model

extension ObjectCodec {
    /// A delta object that restores `target` byte for byte from `base`, the parent version's
    /// safetensors bytes. Per target tensor: identical bytes under the same name, dtype and
    /// shape cost a reference; a changed 32-bit tensor is stored as byte planes of the zigzag
    /// difference of its bit patterns; everything else (the header, new tensors, other dtypes
    /// and shapes) as zstd frames. Segments are compressed on `settings.workers` threads.
    public static func encodeDelta(
        base: [UInt8], target: [UInt8], settings: CompressionSettings
    ) throws(ObjectCodecError) -> [UInt8] {
        try DeltaEncoder(level: settings.deltaLevel, threads: settings.workers).encode(base: base, target: target)
    }
}

/// Plans a delta's segments from the two files' headers, then compresses the segments'
/// payloads in parallel and writes the container (`DeltaFormat`).
struct DeltaEncoder {
    /// The transform the format's `planes32` segments use.
    static let transform = WordTransform.zigzagDifference
    /// Changed tensors and raw bytes are cut into segments of at most this many bytes, so
    /// that threads share large tensors and each thread's scratch stays small.
    static let defaultSegmentByteCount = 1 << 20

    var level: Int32
    var threads: Int
    var segmentByteCount = DeltaEncoder.defaultSegmentByteCount

    /// A segment before compression: which target bytes, restored how.
    struct PlannedSegment {
        var kind: DeltaSegment.Kind
        var range: Range<Int>
        var baseOffset: Int
    }

    func encode(base: [UInt8], target: [UInt8]) throws(ObjectCodecError) -> [UInt8] {
        let plan = try self.plan(base: base, target: target)
        let payloads = try compress(plan, base: base, target: target)
        let segments = zip(plan, payloads).map { planned, frames in
            DeltaSegment(
                kind: planned.kind, length: planned.range.count, baseOffset: planned.baseOffset,
                payloadLengths: frames.map(\.count) + Array(repeating: 0, count: 4 - frames.count))
        }
        let payloadByteCount = segments.reduce(0) { $0 + $1.payloadByteCount }
        let fingerprint = base.withUnsafeBytes { DeltaBaseFingerprint.of($0) }
        var object = DeltaFormat.serialize(DeltaHeader(
            targetByteCount: target.count, baseByteCount: base.count, baseFingerprint: fingerprint,
            segments: segments, payloadByteCount: payloadByteCount))
        object.reserveCapacity(object.count + payloadByteCount)
        for frames in payloads {
            for frame in frames { object += frame }
        }
        return object
    }

    // MARK: planning

    /// The segments that restore `target`, in file order.
    func plan(base: [UInt8], target: [UInt8]) throws(ObjectCodecError) -> [PlannedSegment] {
        let baseFile = try Self.parse(base, role: "base")
        let targetFile = try Self.parse(target, role: "target")
        let baseData = base.withUnsafeBytes { DeltaBaseFingerprint.dataSectionOffset($0) }
        let targetData = target.withUnsafeBytes { DeltaBaseFingerprint.dataSectionOffset($0) }

        var segments: [PlannedSegment] = []
        base.withUnsafeBytes { base in
            target.withUnsafeBytes { target in
                var builder = SegmentBuilder(segmentByteCount: segmentByteCount, base: base, target: target)
                // The length prefix and header (with any padding the header length includes).
                builder.appendZstd(0..<targetData)
                for tensor in targetFile.tensors {
                    let range = (targetData + tensor.byteRange.lowerBound)..<(targetData + tensor.byteRange.upperBound)
                    // Bytes no tensor covers (valid files have none) are kept as they are.
                    if range.lowerBound > builder.end { builder.appendZstd(builder.end..<range.lowerBound) }
                    if let match = baseFile.info(tensor.name), match.dtype == tensor.dtype, match.shape == tensor.shape {
                        let baseOffset = baseData + match.byteRange.lowerBound
                        if tensor.dtype.bitWidth == 32 {
                            builder.appendWords(range, baseOffset: baseOffset)
                        } else if builder.isUnchanged(range, baseOffset: baseOffset) {
                            builder.appendReference(range, baseOffset: baseOffset)
                        } else {
                            builder.appendZstd(range)
                        }
                    } else {
                        builder.appendZstd(range)
                    }
                }
                if target.count > builder.end { builder.appendZstd(builder.end..<target.count) }
                segments = builder.segments
            }
        }
        return segments
    }

    private static func parse(_ bytes: [UInt8], role: String) throws(ObjectCodecError) -> SafeTensorsFile {
        do {
            return try SafeTensorsFile(bytes: bytes)
        } catch {
            throw .invalidSafeTensors(role: role, reason: error.description)
        }
    }

    // MARK: compression

    /// Each planned segment's payload frames (none for a reference), compressed in parallel.
    func compress(
        _ plan: [PlannedSegment], base: [UInt8], target: [UInt8]
    ) throws(ObjectCodecError) -> [[[UInt8]]] {
        // Largest first, so no thread is left with a big segment at the end.
        let work = plan.indices.filter { plan[$0].kind != .reference }.sorted { plan[$0].range.count > plan[$1].range.count }
        let results = UnsafeMutableBufferPointer<[[UInt8]]>.allocate(capacity: plan.count)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        let largest = work.first.map { plan[$0].range.count } ?? 0
        let level = self.level
        try base.withRawBytes { base throws(ObjectCodecError) in
            try target.withRawBytes { target throws(ObjectCodecError) in
                try ParallelWork.run(
                    itemCount: work.count, threads: threads,
                    makeWorker: { () throws(ObjectCodecError) in try SegmentCompressor(level: level, largestSegment: largest) }
                ) { worker, item throws(ObjectCodecError) in
                    let index = work[item]
                    let segment = plan[index]
                    let source = UnsafeRawBufferPointer(rebasing: target[segment.range])
                    switch segment.kind {
                    case .zstd:
                        results[index] = [try worker.compress(source)]
                    case .planes32:
                        let baseWords = UnsafeRawBufferPointer(rebasing: base[segment.baseOffset..<(segment.baseOffset + segment.range.count)])
                        results[index] = try worker.compressPlanes(target: source, base: baseWords, transform: Self.transform)
                    case .reference:
                        break
                    }
                }
            }
        }
        return Array(results)
    }
}

/// One thread's zstd context and scratch space.
final class SegmentCompressor {
    let compressor: ZstdCompressor
    /// Room for one segment's planes, and for one compressed frame.
    private let planes: UnsafeMutableRawBufferPointer
    private let frame: UnsafeMutableRawBufferPointer

    init(level: Int32, largestSegment: Int) throws(ObjectCodecError) {
        compressor = try ZstdCompressor(level: level)
        planes = .allocate(byteCount: largestSegment, alignment: 64)
        frame = .allocate(byteCount: Zstd.compressBound(largestSegment), alignment: 64)
    }

    deinit {
        planes.deallocate()
        frame.deallocate()
    }

    /// `source` as one frame.
    func compress(_ source: UnsafeRawBufferPointer) throws(ObjectCodecError) -> [UInt8] {
        let count = try compressor.compress(source, into: frame)
        return Array(frame[0..<count])
    }

    /// The four byte planes of `transform` applied to the words of `target` and `base`
    /// (equal byte counts, a multiple of 4, at most the largest segment), each as one frame.
    func compressPlanes(
        target: UnsafeRawBufferPointer, base: UnsafeRawBufferPointer, transform: WordTransform
    ) throws(ObjectCodecError) -> [[UInt8]] {
        let wordCount = target.count / 4
        transform.split(
            target: target.baseAddress!, base: base.baseAddress!, wordCount: wordCount,
            planes: planes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        var frames: [[UInt8]] = []
        for plane in 0..<4 {
            frames.append(try compress(UnsafeRawBufferPointer(rebasing: planes[(plane * wordCount)..<((plane + 1) * wordCount)])))
        }
        return frames
    }
}

/// Appends planned segments in target order, cutting long ones and merging neighbours.
private struct SegmentBuilder {
    let segmentByteCount: Int
    let base: UnsafeRawBufferPointer
    let target: UnsafeRawBufferPointer
    private(set) var segments: [DeltaEncoder.PlannedSegment] = []

    init(segmentByteCount: Int, base: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer) {
        self.segmentByteCount = segmentByteCount
        self.base = base
        self.target = target
    }

    /// Where the segments so far end.
    var end: Int { segments.last?.range.upperBound ?? 0 }

    func isUnchanged(_ range: Range<Int>, baseOffset: Int) -> Bool {
        memcmp(target.baseAddress! + range.lowerBound, base.baseAddress! + baseOffset, range.count) == 0
    }

    /// Target bytes stored as zstd frames; they extend a preceding zstd segment up to the
    /// segment size.
    mutating func appendZstd(_ range: Range<Int>) {
        var start = range.lowerBound
        while start < range.upperBound {
            if let last = segments.last, last.kind == .zstd, last.range.upperBound == start, last.range.count < segmentByteCount {
                let end = min(range.upperBound, start + segmentByteCount - last.range.count)
                segments[segments.count - 1].range = last.range.lowerBound..<end
                start = end
            } else {
                let end = min(range.upperBound, start + segmentByteCount)
                segments.append(.init(kind: .zstd, range: start..<end, baseOffset: 0))
                start = end
            }
        }
    }

    /// A 32-bit tensor against its base tensor: each segment-sized piece is a reference when
    /// its bytes are unchanged (so a tensor whose rows changed only in part costs only the
    /// changed pieces), byte planes otherwise.
    mutating func appendWords(_ range: Range<Int>, baseOffset: Int) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(range.upperBound, start + segmentByteCount)
            let pieceBase = baseOffset + (start - range.lowerBound)
            if isUnchanged(start..<end, baseOffset: pieceBase) {
                appendReference(start..<end, baseOffset: pieceBase)
            } else {
                segments.append(.init(kind: .planes32, range: start..<end, baseOffset: pieceBase))
            }
            start = end
        }
    }

    /// Unchanged target bytes; they extend a preceding reference that ends where they start
    /// in the base too, so a run of unchanged tensors costs one table entry.
    mutating func appendReference(_ range: Range<Int>, baseOffset: Int) {
        guard !range.isEmpty else { return }
        if let last = segments.last, last.kind == .reference, last.range.upperBound == range.lowerBound,
            last.baseOffset + last.range.count == baseOffset
        {
            segments[segments.count - 1].range = last.range.lowerBound..<range.upperBound
        } else {
            segments.append(.init(kind: .reference, range: range, baseOffset: baseOffset))
        }
    }
}
