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
        try DeltaEncoder(level: settings.level, threads: settings.workers).encode(base: base, target: target)
    }
}

/// Plans a delta's segments from the two files' headers, then compresses the segments'
/// payloads in parallel and writes the container (`DeltaFormat`).
struct DeltaEncoder {
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
        var shift = 0
    }

    func encode(base: [UInt8], target: [UInt8]) throws(ObjectCodecError) -> [UInt8] {
        let plan = try self.plan(base: base, target: target)
        let fingerprint = base.withUnsafeBytes { DeltaBaseFingerprint.of($0) }
        // Largest first, so no thread is left with a big segment at the end.
        let order = plan.indices.filter { plan[$0].kind != .reference }.sorted { plan[$0].range.count > plan[$1].range.count }
        let largest = order.first.map { plan[$0].range.count } ?? 0
        let level = self.level
        return try base.withRawBytes { base throws(ObjectCodecError) in
            try target.withRawBytes { target throws(ObjectCodecError) in
                try CompressedOutput.build(
                    prefixByteCount: DeltaFormat.headerByteCount + plan.count * DeltaFormat.segmentByteCount,
                    regionByteCounts: plan.map(SegmentCompressor.regionByteCount), order: order, threads: threads,
                    makeWorker: { () throws(ObjectCodecError) in try SegmentCompressor(level: level, largestSegment: largest) },
                    compress: { worker, index, region throws(ObjectCodecError) in
                        let segment = plan[index]
                        let source = UnsafeRawBufferPointer(rebasing: target[segment.range])
                        switch segment.kind {
                        case .zstd:
                            return [try worker.compress(source, into: region)]
                        case .planes32, .shiftedPlanes32:
                            let words = UnsafeRawBufferPointer(
                                rebasing: base[segment.baseOffset..<(segment.baseOffset + segment.range.count)])
                            return try worker.compressPlanes(target: source, base: words, transform: segment.kind.transform,
                                                             shift: segment.shift, into: region)
                        case .reference:
                            return []
                        }
                    },
                    writePrefix: { frameSizes, prefix in
                        let segments = zip(plan, frameSizes).map { planned, frames in
                            DeltaSegment(
                                kind: planned.kind, length: planned.range.count, baseOffset: planned.baseOffset,
                                payloadLengths: frames + Array(repeating: 0, count: 4 - frames.count), shift: planned.shift)
                        }
                        let header = DeltaFormat.serialize(DeltaHeader(
                            targetByteCount: target.count, baseByteCount: base.count, baseFingerprint: fingerprint,
                            segments: segments, payloadByteCount: segments.reduce(0) { $0 + $1.payloadByteCount }))
                        prefix.copyBytes(from: header)
                    })
            }
        }
    }

    // MARK: planning

    /// The segments that restore `target`, in file order.
    func plan(base: [UInt8], target: [UInt8]) throws(ObjectCodecError) -> [PlannedSegment] {
        let (baseFile, targetFile) = try Self.parse(base: base, target: target, threads: threads)
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

    /// Both files parsed (which copies each) at the same time when there are threads for it.
    private static func parse(
        base: [UInt8], target: [UInt8], threads: Int
    ) throws(ObjectCodecError) -> (base: SafeTensorsFile, target: SafeTensorsFile) {
        let inputs = [base, target]
        let results = UnsafeMutableBufferPointer<Result<SafeTensorsFile, SafeTensorsError>?>.allocate(capacity: 2)
        results.initialize(repeating: nil)
        defer { results.deinitialize().deallocate() }
        try ParallelWork.run(itemCount: 2, threads: threads, makeWorker: {}) { _, index throws(ObjectCodecError) in
            results[index] = Result { () throws(SafeTensorsError) in try SafeTensorsFile(bytes: inputs[index]) }
        }
        // The base's error first when both are invalid, whichever thread finished first.
        var files: [SafeTensorsFile] = []
        for (result, role) in zip(results, ["base", "target"]) {
            switch result {
            case .success(let file): files.append(file)
            case .failure(let error): throw .invalidSafeTensors(role: role, reason: error.description)
            case nil: throw .invalidSafeTensors(role: role, reason: "it was not parsed")
            }
        }
        return (files[0], files[1])
    }
}

/// One thread's zstd context and plane scratch space.
final class SegmentCompressor {
    let compressor: ZstdCompressor
    private let largestSegment: Int
    private let planes: UnsafeMutableRawBufferPointer
    /// Room for one segment's frames, made for callers that want only their sizes.
    private var frames: UnsafeMutableRawBufferPointer?

    init(level: Int32, largestSegment: Int) throws(ObjectCodecError) {
        compressor = try ZstdCompressor(level: level)
        self.largestSegment = largestSegment
        planes = .allocate(byteCount: largestSegment, alignment: 64)
    }

    deinit {
        planes.deallocate()
        frames?.deallocate()
    }

    /// The space `segment`'s frames can take in the worst case.
    static func regionByteCount(_ segment: DeltaEncoder.PlannedSegment) -> Int {
        switch segment.kind {
        case .reference: 0
        case .zstd: Zstd.compressBound(segment.range.count)
        case .planes32, .shiftedPlanes32: 4 * Zstd.compressBound(segment.range.count / 4)
        }
    }

    /// `source` as one frame at the start of `region`; returns the frame's size.
    func compress(_ source: UnsafeRawBufferPointer, into region: UnsafeMutableRawBufferPointer) throws(ObjectCodecError) -> Int {
        try compressor.compress(source, into: region)
    }

    /// The four byte planes of `transform` applied to the words of `target` and `base`
    /// (equal byte counts, a multiple of 4, at most the largest segment), each as one frame,
    /// one after the other from the start of `region`; returns the frames' sizes.
    func compressPlanes(
        target: UnsafeRawBufferPointer, base: UnsafeRawBufferPointer, transform: WordTransform, shift: Int = 0,
        into region: UnsafeMutableRawBufferPointer
    ) throws(ObjectCodecError) -> [Int] {
        let wordCount = target.count / 4
        transform.split(
            target: target.baseAddress!, base: base.baseAddress!, wordCount: wordCount,
            planes: planes.baseAddress!.assumingMemoryBound(to: UInt8.self), shift: shift)
        var sizes: [Int] = []
        var start = 0
        for plane in 0..<4 {
            let bytes = UnsafeRawBufferPointer(rebasing: planes[(plane * wordCount)..<((plane + 1) * wordCount)])
            let size = try compressor.compress(bytes, into: UnsafeMutableRawBufferPointer(rebasing: region[start...]))
            sizes.append(size)
            start += size
        }
        return sizes
    }

    /// The sizes of the frames `compressPlanes` would write.
    func planeFrameSizes(
        target: UnsafeRawBufferPointer, base: UnsafeRawBufferPointer, transform: WordTransform
    ) throws(ObjectCodecError) -> [Int] {
        let frames = self.frames ?? .allocate(byteCount: 4 * Zstd.compressBound(largestSegment / 4), alignment: 64)
        self.frames = frames
        return try compressPlanes(target: target, base: base, transform: transform, into: frames)
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
    /// changed pieces), byte planes otherwise: shifted ones when every word moved by a
    /// multiple of a power of two in its ordered integer (an update on a change grid).
    mutating func appendWords(_ range: Range<Int>, baseOffset: Int) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(range.upperBound, start + segmentByteCount)
            let pieceBase = baseOffset + (start - range.lowerBound)
            if isUnchanged(start..<end, baseOffset: pieceBase) {
                appendReference(start..<end, baseOffset: pieceBase)
            } else {
                let shift = min(31, WordTransform.commonZeroBits(target: target.baseAddress! + start, base: base.baseAddress! + pieceBase,
                                                                 wordCount: (end - start) / 4))
                segments.append(.init(kind: shift > 0 ? .shiftedPlanes32 : .planes32, range: start..<end, baseOffset: pieceBase, shift: shift))
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
