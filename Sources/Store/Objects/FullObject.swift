import CZstd
import Model

extension ObjectCodec {
    /// Full objects are cut into frames of at most this many bytes of input, compressed and
    /// decompressed in parallel. Concatenated zstd frames decompress to the concatenation of
    /// their contents (RFC 8878, section 3.1), so `zstd -d` still restores the file.
    static let fullFrameByteCount = 2 << 20

    /// A full object: the raw safetensors bytes as standard zstd frames, one per 2 MiB of
    /// input, each with its content size and content checksum, so that `zstd -d object`
    /// gives the safetensors file back. The frames are independent, which lets
    /// `settings.workers` threads compress them and `decodeFull` restore them in parallel;
    /// one multithreaded zstd frame could only be decompressed on one thread.
    public static func encodeFull(_ safetensors: [UInt8], settings: CompressionSettings) throws(ObjectCodecError) -> [UInt8] {
        let pieces = stride(from: 0, to: safetensors.count, by: fullFrameByteCount).map {
            $0..<min($0 + fullFrameByteCount, safetensors.count)
        }
        // An empty file is one empty frame, so that the object is still a zstd file.
        let ranges = pieces.isEmpty ? [0..<0] : pieces
        let level = settings.level
        return try safetensors.withRawBytes { source throws(ObjectCodecError) in
            try CompressedOutput.build(
                prefixByteCount: 0, regionByteCounts: ranges.map { Zstd.compressBound($0.count) },
                order: Array(ranges.indices), threads: settings.workers,
                makeWorker: { () throws(ObjectCodecError) in try ZstdCompressor(level: level) },
                compress: { compressor, index, region throws(ObjectCodecError) in
                    [try compressor.compress(UnsafeRawBufferPointer(rebasing: source[ranges[index]]), into: region)]
                },
                writePrefix: { _, _ in })
        }
    }

    /// The safetensors bytes of a full object: one or more zstd frames, restored in parallel
    /// on `threads` threads. Frames without a recorded content size (as `zstd` writes from a
    /// pipe) are accepted too, and restored on one thread. With `expectedByteCount` (the raw
    /// size the registry recorded), an object declaring another size is rejected before any
    /// memory is allocated for it.
    public static func decodeFull(
        _ object: [UInt8], expectedByteCount: Int? = nil, threads: Int = CompressionSettings.defaultWorkers
    ) throws(ObjectCodecError) -> [UInt8] {
        try object.withRawBytes { object throws(ObjectCodecError) in
            guard object.count >= 4, object.loadUnaligned(as: UInt32.self) == UInt32(ZSTD_MAGICNUMBER).littleEndian else {
                throw .corrupt(reason: "a full object must be a zstd file, and this one does not start with the zstd magic number")
            }
            guard let frames = try frameTable(object) else {
                return try decodeFramesOfUnknownSize(object, expectedByteCount: expectedByteCount)
            }
            let byteCount = frames.last.map { $0.output.upperBound } ?? 0
            if let expectedByteCount, expectedByteCount != byteCount {
                throw .unexpectedSize(expectedByteCount: expectedByteCount, actualByteCount: byteCount)
            }
            // Largest first: the last frame is usually short.
            let order = frames.indices.sorted { frames[$0].output.count > frames[$1].output.count }
            return try uninitializedBytes(count: byteCount) { output throws(ObjectCodecError) in
                try ParallelWork.run(
                    itemCount: order.count, threads: threads, makeWorker: { () throws(ObjectCodecError) in try ZstdDecompressor() }
                ) { decompressor, item throws(ObjectCodecError) in
                    let frame = frames[order[item]]
                    try decompressor.decompress(
                        UnsafeRawBufferPointer(rebasing: object[frame.input]),
                        into: UnsafeMutableRawBufferPointer(rebasing: output[frame.output]), what: "full object")
                }
            }
        }
    }

    /// Where each frame of `object` lies and which bytes of the file it restores; nil if a
    /// frame does not record its content size. A truncated object fails here, before decoding.
    private static func frameTable(
        _ object: UnsafeRawBufferPointer
    ) throws(ObjectCodecError) -> [(input: Range<Int>, output: Range<Int>)]? {
        var frames: [(input: Range<Int>, output: Range<Int>)] = []
        var offset = 0
        var restored = 0
        while offset < object.count {
            let rest = UnsafeRawBufferPointer(rebasing: object[offset...])
            let size = try Zstd.frameCompressedSize(rest)
            guard let declared = try Zstd.frameContentSize(rest) else { return nil }
            // Each zstd block needs at least 4 bytes and restores at most 128 KiB, which
            // bounds what a frame of this size can honestly declare.
            guard declared / 32768 <= UInt64(size), declared <= UInt64(Int.max - restored) else {
                throw .corrupt(reason: "a zstd frame of \(size) bytes declares \(declared) bytes, more than it can hold")
            }
            frames.append((offset..<(offset + size), restored..<(restored + Int(declared))))
            offset += size
            restored += Int(declared)
        }
        return frames
    }

    /// Streams frames whose headers do not say how large they are.
    private static func decodeFramesOfUnknownSize(
        _ object: UnsafeRawBufferPointer, expectedByteCount: Int?
    ) throws(ObjectCodecError) -> [UInt8] {
        let output: [UInt8]
        do {
            output = try ZstdStream.decompress(object, byteLimit: expectedByteCount ?? Int.max)
        } catch {
            switch error {
            case .zstd(let operation, let errorName): throw .zstd(operation: "\(operation) the full object", errorName: errorName)
            case .truncated(let required, let available):
                throw .truncated(section: "zstd frame", requiredByteCount: required, availableByteCount: available)
            case .tooLarge(let limit, let reached): throw .unexpectedSize(expectedByteCount: limit, actualByteCount: reached)
            }
        }
        if let expectedByteCount, output.count != expectedByteCount {
            throw .unexpectedSize(expectedByteCount: expectedByteCount, actualByteCount: output.count)
        }
        return output
    }
}
