import Foundation

extension ObjectCodec {
    /// The target file a delta object restores from `base`, the same bytes it was made
    /// against (else `baseMismatch`). Every length and offset of the container is validated
    /// before use; a truncated or corrupt object gives a typed error. With
    /// `expectedByteCount`, a delta for a file of another size is rejected before decoding.
    /// Segments are decoded on `threads` threads (default: one per active core).
    public static func decodeDelta(
        base: [UInt8], delta: [UInt8], expectedByteCount: Int? = nil,
        threads: Int = CompressionSettings.defaultWorkers
    ) throws(ObjectCodecError) -> [UInt8] {
        try base.withRawBytes { base throws(ObjectCodecError) in
            try delta.withRawBytes { delta throws(ObjectCodecError) in
                try DeltaDecoder.decode(base: base, delta: delta, expectedByteCount: expectedByteCount, threads: threads)
            }
        }
    }
}

/// Restores a target file from a validated delta container, segments in parallel.
enum DeltaDecoder {
    /// References are copied in pieces of at most this size so that threads share them.
    static let copyPieceByteCount = 8 << 20

    /// One unit of work: a segment, or a piece of a reference.
    private struct Item {
        var segment: DeltaSegment
        /// Where the segment's bytes go in the target.
        var targetOffset: Int
        /// Where its payloads start in the object.
        var payloadOffset: Int

        /// Roughly proportional to the time the item takes: copying is far cheaper.
        var cost: Int { segment.kind == .reference ? segment.length / 16 : segment.length }
    }

    static func decode(
        base: UnsafeRawBufferPointer, delta: UnsafeRawBufferPointer, expectedByteCount: Int?, threads: Int
    ) throws(ObjectCodecError) -> [UInt8] {
        let header = try DeltaFormat.parse(delta, base: base)
        if let expectedByteCount, expectedByteCount != header.targetByteCount {
            throw .unexpectedSize(expectedByteCount: expectedByteCount, actualByteCount: header.targetByteCount)
        }
        let items = self.items(header, payloadStart: delta.count - header.payloadByteCount)
        let largestPlanes = items.lazy.filter { $0.segment.kind.hasPlanes }.map(\.segment.length).max() ?? 0
        return try uninitializedBytes(count: header.targetByteCount) { target throws(ObjectCodecError) in
            try ParallelWork.run(
                itemCount: items.count, threads: threads,
                makeWorker: { () throws(ObjectCodecError) in try SegmentDecompressor(largestPlanes: largestPlanes) }
            ) { worker, index throws(ObjectCodecError) in
                try worker.restore(items[index], base: base, delta: delta, target: target)
            }
        }
    }

    /// The work of `header`, most expensive first; long references are cut into pieces.
    private static func items(_ header: DeltaHeader, payloadStart: Int) -> [Item] {
        var items: [Item] = []
        var targetOffset = 0
        var payloadOffset = payloadStart
        for segment in header.segments {
            if segment.kind == .reference {
                var done = 0
                while done < segment.length {
                    let count = min(copyPieceByteCount, segment.length - done)
                    items.append(Item(
                        segment: .reference(length: count, baseOffset: segment.baseOffset + done),
                        targetOffset: targetOffset + done, payloadOffset: payloadOffset))
                    done += count
                }
            } else {
                items.append(Item(segment: segment, targetOffset: targetOffset, payloadOffset: payloadOffset))
            }
            targetOffset += segment.length
            payloadOffset += segment.payloadByteCount
        }
        return items.sorted { $0.cost > $1.cost }
    }

    /// One thread's zstd context and plane scratch space.
    private final class SegmentDecompressor {
        let decompressor: ZstdDecompressor
        let planes: UnsafeMutableRawBufferPointer

        init(largestPlanes: Int) throws(ObjectCodecError) {
            decompressor = try ZstdDecompressor()
            planes = .allocate(byteCount: largestPlanes, alignment: 64)
        }

        deinit { planes.deallocate() }

        func restore(
            _ item: Item, base: UnsafeRawBufferPointer, delta: UnsafeRawBufferPointer, target: UnsafeMutableRawBufferPointer
        ) throws(ObjectCodecError) {
            let segment = item.segment
            let destination = UnsafeMutableRawBufferPointer(rebasing: target[item.targetOffset..<(item.targetOffset + segment.length)])
            switch segment.kind {
            case .reference:
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: base[segment.baseOffset..<(segment.baseOffset + segment.length)]))
            case .zstd:
                let frame = UnsafeRawBufferPointer(rebasing: delta[item.payloadOffset..<(item.payloadOffset + segment.payloadLengths[0])])
                try decompressor.decompress(frame, into: destination, what: "segment")
            case .planes32, .shiftedPlanes32:
                let wordCount = segment.length / 4
                var frameStart = item.payloadOffset
                for plane in 0..<4 {
                    let frameEnd = frameStart + segment.payloadLengths[plane]
                    let frame = UnsafeRawBufferPointer(rebasing: delta[frameStart..<frameEnd])
                    let planeBytes = UnsafeMutableRawBufferPointer(rebasing: planes[(plane * wordCount)..<((plane + 1) * wordCount)])
                    try decompressor.decompress(frame, into: planeBytes, what: "byte plane \(plane)")
                    frameStart = frameEnd
                }
                segment.kind.transform.merge(
                    planes: planes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    base: base.baseAddress! + segment.baseOffset, wordCount: wordCount, into: destination.baseAddress!,
                    shift: segment.shift)
            }
        }
    }
}
