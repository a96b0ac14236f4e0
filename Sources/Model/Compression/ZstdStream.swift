import CZstd

/// What stopped a zstd file from decompressing.
public enum ZstdStreamError: Error, Equatable, CustomStringConvertible {
    /// libzstd refused; `errorName` is its own name for the error (`ZSTD_getErrorName`).
    case zstd(operation: String, errorName: String)
    /// The file ends inside a frame.
    case truncated(requiredByteCount: Int, availableByteCount: Int)
    /// The file restores more bytes than the caller allows: at least `reached`.
    case tooLarge(limit: Int, reached: Int)

    public var description: String {
        switch self {
        case .zstd(let operation, let errorName): "zstd failed to \(operation): \(errorName)"
        case .truncated(let required, let available):
            "the zstd file is truncated: its frame needs \(required) bytes but only \(available) remain"
        case .tooLarge(let limit, let reached): "the zstd file restores at least \(reached) bytes, more than the \(limit) allowed"
        }
    }
}

/// Whole zstd files decompressed as a stream: any number of frames, with or without a
/// recorded content size (as `zstd` writes from a pipe). One thread; the store's parallel
/// codec handles its own large objects and falls back to this for frames of unknown size.
public enum ZstdStream {
    /// The concatenated contents of every frame in `compressed`. `byteLimit` bounds the output,
    /// so a small hostile file cannot make this allocate without limit.
    public static func decompress(_ compressed: UnsafeRawBufferPointer, byteLimit: Int = Int.max) throws(ZstdStreamError) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else {
            throw .zstd(operation: "create a decompression stream", errorName: "out of memory")
        }
        defer { ZSTD_freeDStream(stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var input = ZSTD_inBuffer(src: compressed.baseAddress, size: compressed.count, pos: 0)
        var frameComplete = false
        while !(frameComplete && input.pos == input.size) {
            let produced = try chunk.withUnsafeMutableBufferPointer { buffer throws(ZstdStreamError) -> Int in
                var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let before = input.pos
                let hint = ZSTD_decompressStream(stream, &out, &input)
                guard ZSTD_isError(hint) == 0 else {
                    throw .zstd(operation: "decompress", errorName: String(cString: ZSTD_getErrorName(hint)))
                }
                frameComplete = hint == 0
                if out.pos == 0 && input.pos == before && !frameComplete {
                    throw .truncated(requiredByteCount: compressed.count + hint, availableByteCount: compressed.count)
                }
                return out.pos
            }
            guard output.count + produced <= byteLimit else { throw .tooLarge(limit: byteLimit, reached: output.count + produced) }
            output.append(contentsOf: chunk[0..<produced])
        }
        return output
    }
}
