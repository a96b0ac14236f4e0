import CZstd

/// Thin, throwing wrappers over libzstd's one-shot context API. Each context is used by one
/// thread at a time; the codec gives every worker thread its own.
enum Zstd {
    /// The largest output `compress` can produce for `byteCount` input bytes.
    static func compressBound(_ byteCount: Int) -> Int { ZSTD_compressBound(byteCount) }

    static func check(_ code: Int, _ operation: String) throws(ObjectCodecError) -> Int {
        guard ZSTD_isError(code) == 0 else {
            throw .zstd(operation: operation, errorName: String(cString: ZSTD_getErrorName(code)))
        }
        return code
    }

    /// The decompressed size a frame's header records; nil when the frame leaves it out.
    static func frameContentSize(_ frame: UnsafeRawBufferPointer) throws(ObjectCodecError) -> UInt64? {
        let size = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        switch size {
        case ZSTD_CONTENTSIZE_UNKNOWN_VALUE: return nil
        case ZSTD_CONTENTSIZE_ERROR_VALUE:
            throw .zstd(operation: "read the frame header", errorName: "not a zstd frame, or its header is cut short")
        default: return size
        }
    }

    /// The byte count of the first frame in `bytes`, which must hold all of it.
    static func frameCompressedSize(_ bytes: UnsafeRawBufferPointer) throws(ObjectCodecError) -> Int {
        try check(ZSTD_findFrameCompressedSize(bytes.baseAddress, bytes.count), "find the end of the frame")
    }

    // `ZSTD_CONTENTSIZE_*` are macros with casts, which Swift does not import.
    private static let ZSTD_CONTENTSIZE_UNKNOWN_VALUE = UInt64.max
    private static let ZSTD_CONTENTSIZE_ERROR_VALUE = UInt64.max - 1
}

/// A compression context with the level, checksum flag and content size flag set once.
///
/// zstd's own worker threads (`ZSTD_c_nbWorkers`; Debian's libzstd is built with them)
/// are not used: they produce one frame, which only one thread can decompress. The codec
/// compresses independent frames on its own threads instead (`ParallelWork`).
final class ZstdCompressor {
    private let context: OpaquePointer

    init(level: Int32) throws(ObjectCodecError) {
        guard let context = ZSTD_createCCtx() else {
            throw .zstd(operation: "create a compression context", errorName: "out of memory")
        }
        self.context = context
        _ = try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "set the compression level \(level)")
        _ = try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "turn the checksum flag on")
        _ = try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1), "turn the content size flag on")
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `source` into one frame at the start of `destination`, which should hold
    /// `Zstd.compressBound(source.count)` bytes, and returns the frame's size.
    func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(ObjectCodecError) -> Int {
        try Zstd.check(
            ZSTD_compress2(context, destination.baseAddress, destination.count, source.baseAddress, source.count),
            "compress")
    }

    /// `source` as one frame.
    func compress(_ source: UnsafeRawBufferPointer) throws(ObjectCodecError) -> [UInt8] {
        let bound = Zstd.compressBound(source.count)
        var failure: ObjectCodecError?
        let frame = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            do throws(ObjectCodecError) {
                count = try compress(source, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw failure }
        return frame
    }
}

/// A decompression context.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() throws(ObjectCodecError) {
        guard let context = ZSTD_createDCtx() else {
            throw .zstd(operation: "create a decompression context", errorName: "out of memory")
        }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `frame`, exactly one frame, into `destination`, which it must fill
    /// exactly; anything else is corruption. `what` names the frame in errors.
    func decompress(
        _ frame: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, what: String
    ) throws(ObjectCodecError) {
        // A frame that claims another size is rejected before any work is done. Frames
        // written by this codec always record their size.
        if let declared = try Zstd.frameContentSize(frame), declared != UInt64(destination.count) {
            throw .corrupt(reason: "the \(what) frame declares \(declared) bytes, but its segment has \(destination.count)")
        }
        guard try Zstd.frameCompressedSize(frame) == frame.count else {
            throw .corrupt(reason: "the \(what) payload has bytes after its zstd frame")
        }
        let written = try Zstd.check(
            ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, frame.baseAddress, frame.count),
            "decompress the \(what)")
        guard written == destination.count else {
            throw .corrupt(reason: "the \(what) frame gives \(written) bytes, but its segment has \(destination.count)")
        }
    }
}
