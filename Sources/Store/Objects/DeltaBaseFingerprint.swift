import Crypto

/// A cheap identity of the base file a delta applies to, so that decoding against the wrong
/// base fails with `baseMismatch` instead of restoring garbage.
///
/// It is the SHA-256 of: the base's byte count (8 bytes, little-endian), its length prefix
/// and header (`8 + header length` bytes, clamped to the file), then 64 bytes (fewer at the
/// end of the file) at every multiple of 4096 bytes of the data section, counted from its
/// start. That hashes 1/64 of the tensor data: every tensor of 4 KiB or more is sampled, so
/// another version of the same model is caught in practice, at a cost far below one pass over
/// the file. It is not a proof of identity; the store verifies the restored file's SHA-256.
enum DeltaBaseFingerprint {
    static let stride = 4096
    static let sampleByteCount = 64

    static func of(_ base: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt64(base.count).littleEndian) { hasher.update(bufferPointer: $0) }
        let dataStart = dataSectionOffset(base)
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: base[0..<dataStart]))
        // Gather samples into a buffer so the hash sees a few large updates.
        var samples: [UInt8] = []
        let batch = 1 << 16
        samples.reserveCapacity(batch + sampleByteCount)
        var offset = dataStart
        while offset < base.count {
            samples += UnsafeRawBufferPointer(rebasing: base[offset..<min(offset + sampleByteCount, base.count)])
            if samples.count >= batch {
                samples.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                samples.removeAll(keepingCapacity: true)
            }
            offset += stride
        }
        samples.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    /// `8 + header length` as the file's first 8 bytes declare it, clamped to the file; the
    /// base is not otherwise parsed.
    static func dataSectionOffset(_ file: UnsafeRawBufferPointer) -> Int {
        guard file.count >= 8 else { return file.count }
        let headerLength = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        return headerLength <= UInt64(file.count - 8) ? 8 + Int(headerLength) : file.count
    }
}
