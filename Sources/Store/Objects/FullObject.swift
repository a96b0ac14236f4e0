import CZstd

extension ObjectCodec {
    /// A full object: the raw safetensors bytes as one standard zstd frame with the content
    /// size and content checksum recorded, so `zstd -d object` gives the safetensors file back.
    /// Compressed on `settings.workers` threads inside libzstd (one frame all the same).
    public static func encodeFull(_ safetensors: [UInt8], settings: CompressionSettings) throws(ObjectCodecError) -> [UInt8] {
        let compressor = try ZstdCompressor(level: settings.level, workers: settings.workers > 1 ? settings.workers : 0)
        return try safetensors.withRawBytes { source throws(ObjectCodecError) in try compressor.compress(source) }
    }

    /// The safetensors bytes of a full object. Frames without a recorded content size (as
    /// `zstd` writes from a pipe) are accepted too. With `expectedByteCount` (the raw size the
    /// registry recorded), a frame declaring another size is rejected before any memory is
    /// allocated for it.
    public static func decodeFull(_ object: [UInt8], expectedByteCount: Int? = nil) throws(ObjectCodecError) -> [UInt8] {
        try object.withRawBytes { frame throws(ObjectCodecError) in
            guard frame.count >= 4, frame.loadUnaligned(as: UInt32.self) == UInt32(ZSTD_MAGICNUMBER).littleEndian else {
                throw .corrupt(reason: "a full object must be a zstd frame, and this one does not start with the zstd magic number")
            }
            // One frame, nothing after it: a truncated object fails here, before decoding.
            guard try Zstd.frameCompressedSize(frame) == frame.count else {
                throw .corrupt(reason: "the full object has bytes after its zstd frame")
            }
            guard let declared = try Zstd.frameContentSize(frame) else {
                return try decodeFrameOfUnknownSize(frame, expectedByteCount: expectedByteCount)
            }
            // Each zstd block needs at least 4 bytes and restores at most 128 KiB, which
            // bounds what a frame of this size can honestly declare.
            guard declared <= UInt64(frame.count) * 32768, declared <= UInt64(Int.max) else {
                throw .corrupt(reason: "the zstd frame declares \(declared) bytes, more than \(frame.count) compressed bytes can hold")
            }
            let byteCount = Int(declared)
            if let expectedByteCount, expectedByteCount != byteCount {
                throw .unexpectedSize(expectedByteCount: expectedByteCount, actualByteCount: byteCount)
            }
            let decompressor = try ZstdDecompressor()
            return try uninitializedBytes(count: byteCount) { destination throws(ObjectCodecError) in
                try decompressor.decompress(frame, into: destination, what: "full object")
            }
        }
    }

    /// Streams a frame whose header does not say how large it is.
    private static func decodeFrameOfUnknownSize(
        _ frame: UnsafeRawBufferPointer, expectedByteCount: Int?
    ) throws(ObjectCodecError) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else {
            throw .zstd(operation: "create a decompression stream", errorName: "out of memory")
        }
        defer { ZSTD_freeDStream(stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var input = ZSTD_inBuffer(src: frame.baseAddress, size: frame.count, pos: 0)
        var isComplete = false
        while !isComplete {
            let produced = try chunk.withUnsafeMutableBufferPointer { buffer throws(ObjectCodecError) -> Int in
                var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let remaining = try Zstd.check(ZSTD_decompressStream(stream, &out, &input), "decompress the full object")
                isComplete = remaining == 0
                if !isComplete && out.pos == 0 && input.pos == input.size {
                    throw .truncated(section: "zstd frame", requiredByteCount: frame.count + remaining, availableByteCount: frame.count)
                }
                return out.pos
            }
            output.append(contentsOf: chunk[0..<produced])
            if let expectedByteCount, output.count > expectedByteCount {
                throw .unexpectedSize(expectedByteCount: expectedByteCount, actualByteCount: output.count)
            }
        }
        if let expectedByteCount, output.count != expectedByteCount {
            throw .unexpectedSize(expectedByteCount: expectedByteCount, actualByteCount: output.count)
        }
        return output
    }
}
