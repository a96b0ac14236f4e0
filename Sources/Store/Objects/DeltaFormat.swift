import Crypto
import Foundation

/// The delta container, version 1 (docs/store.md documents every field). All
/// integers are little-endian.
///
///     offset size
///          0    8  magic "LETHEDLT"
///          8    4  format version (1)
///         12    4  flags (0; reserved)
///         16    8  target byte count: the size of the restored file
///         24    8  base byte count
///         32   32  base fingerprint (`DeltaBaseFingerprint`)
///         64    8  segment count
///         72    8  payload byte count
///         80   32  SHA-256 of the segment table
///        112   32  SHA-256 of bytes 0..<112 (the header check)
///        144       segment table: segment count × 56 bytes
///                  payloads, in table order
enum DeltaFormat {
    static let magic: [UInt8] = Array("LETHEDLT".utf8)
    static let version: UInt32 = 1
    static let headerByteCount = 144
    /// Where the header check starts: it covers everything before it.
    static let headerCheckOffset = 112
    static let segmentByteCount = 56
    /// A zstd block restores at most 128 KiB from no fewer than 4 bytes: no honest frame
    /// expands more than this, which bounds what a segment may claim before allocating.
    static let maximumExpansion = 32768
}

/// One entry of the segment table: how to restore the next `length` bytes of the target.
/// Segments restore the target in order and tile it exactly.
///
///     offset size
///          0    1  kind (`Kind`)
///          1    1  shift (`shiftedPlanes32`: 1…31; else zero)
///          2    6  zero
///          8    8  length: target bytes this segment restores
///         16    8  base offset: where the base bytes it uses start (reference, planes; else 0)
///         24   32  payload lengths: four 8-byte counts (zstd: the first only; planes: plane
///                  0 = least significant byte … plane 3; reference: none), unused ones 0
struct DeltaSegment: Equatable {
    enum Kind: UInt8 {
        /// The bytes are the base's `base offset ..< base offset + length`: an unchanged tensor.
        case reference = 0
        /// The bytes are one zstd frame: a header, a new tensor, a tensor of another dtype or shape.
        case zstd = 1
        /// A changed 32-bit tensor: the target words are `base &+ unzigzag(d)` where the four
        /// zstd frames are the byte planes of `d = zigzag(target &- base)` (`WordTransform`).
        case planes32 = 2
        /// A changed 32-bit tensor whose words all moved by whole multiples of 2^shift in
        /// their ordered integers (an update on a `ChangeGrid`): the four zstd frames are the
        /// byte planes of `zigzag((ordered(target) − ordered(base)) >> shift)`
        /// (`WordTransform.orderedZigzagDifference`).
        case shiftedPlanes32 = 3

        var hasPlanes: Bool { self == .planes32 || self == .shiftedPlanes32 }
        /// The word transform of a kind with planes.
        var transform: WordTransform { self == .planes32 ? .zigzagDifference : .orderedZigzagDifference }
    }

    var kind: Kind
    var length: Int
    var baseOffset: Int
    var payloadLengths: [Int]
    /// Low-order bits of the ordered differences that a `shiftedPlanes32` segment leaves out; 0 for the others.
    var shift = 0

    var payloadByteCount: Int { payloadLengths.reduce(0, +) }

    static func reference(length: Int, baseOffset: Int) -> DeltaSegment {
        DeltaSegment(kind: .reference, length: length, baseOffset: baseOffset, payloadLengths: [0, 0, 0, 0])
    }
}

/// The fixed header's fields, after validation.
struct DeltaHeader {
    var targetByteCount: Int
    var baseByteCount: Int
    var baseFingerprint: [UInt8]
    var segments: [DeltaSegment]
    var payloadByteCount: Int
}

// MARK: writing

extension DeltaFormat {
    /// The header and table for `header`, ready to be followed by the payloads.
    static func serialize(_ header: DeltaHeader) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(headerByteCount + header.segments.count * segmentByteCount)
        append(UInt32(version), to: &bytes)
        append(UInt32(0), to: &bytes)
        append(UInt64(header.targetByteCount), to: &bytes)
        append(UInt64(header.baseByteCount), to: &bytes)
        bytes += header.baseFingerprint
        append(UInt64(header.segments.count), to: &bytes)
        append(UInt64(header.payloadByteCount), to: &bytes)
        var table: [UInt8] = []
        table.reserveCapacity(header.segments.count * segmentByteCount)
        for segment in header.segments {
            table.append(segment.kind.rawValue)
            table.append(UInt8(segment.shift))
            table += repeatElement(0, count: 6)
            append(UInt64(segment.length), to: &table)
            append(UInt64(segment.baseOffset), to: &table)
            for length in segment.payloadLengths { append(UInt64(length), to: &table) }
        }
        bytes += Array(SHA256.hash(data: table))
        bytes += Array(SHA256.hash(data: bytes))
        bytes += table
        return bytes
    }

    private static func append<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return Array(hasher.finalize())
    }
}

// MARK: reading

extension DeltaFormat {
    /// Reads and validates the header and segment table of `object`: every length and offset
    /// is checked against the object, the base and each other, so decoding can trust them.
    static func parse(_ object: UnsafeRawBufferPointer, base: UnsafeRawBufferPointer) throws(ObjectCodecError) -> DeltaHeader {
        guard object.count >= headerByteCount else {
            // Too short to be anything; if what there is matches the magic, it was cut short.
            guard zip(object, magic).allSatisfy({ $0 == $1 }) else { throw .notADeltaObject }
            throw .truncated(section: "fixed header", requiredByteCount: headerByteCount, availableByteCount: object.count)
        }
        guard object.prefix(magic.count).elementsEqual(magic) else { throw .notADeltaObject }
        let version = readUInt32(object, at: 8)
        guard version == self.version else {
            throw .unsupportedVersion(found: version, supported: self.version)
        }

        let headerCheck = Array(object[headerCheckOffset..<headerByteCount])
        guard sha256(UnsafeRawBufferPointer(rebasing: object[0..<headerCheckOffset])) == headerCheck else {
            throw .corrupt(reason: "the fixed header does not match its SHA-256")
        }
        // From here on the header is as the encoder wrote it (or forged with a matching
        // check: the bounds checks below still keep every access inside the buffers).
        guard readUInt32(object, at: 12) == 0 else { throw .corrupt(reason: "reserved flags are set") }
        let targetByteCount = try readCount(object, at: 16, field: "target byte count")
        let baseByteCount = try readCount(object, at: 24, field: "base byte count")
        let fingerprint = Array(object[32..<64])
        let segmentCount = try readCount(object, at: 64, field: "segment count")
        let payloadByteCount = try readCount(object, at: 72, field: "payload byte count")

        let (tableByteCount, overflow) = segmentCount.multipliedReportingOverflow(by: segmentByteCount)
        guard !overflow, tableByteCount <= object.count - headerByteCount else {
            throw .truncated(
                section: "segment table", requiredByteCount: overflow ? Int.max : tableByteCount,
                availableByteCount: object.count - headerByteCount)
        }
        let table = UnsafeRawBufferPointer(rebasing: object[headerByteCount..<(headerByteCount + tableByteCount)])
        guard sha256(table) == Array(object[80..<112]) else {
            throw .corrupt(reason: "the segment table does not match its SHA-256")
        }
        let payloadStart = headerByteCount + tableByteCount
        let available = object.count - payloadStart
        guard payloadByteCount <= available else {
            throw .truncated(section: "payloads", requiredByteCount: payloadByteCount, availableByteCount: available)
        }
        guard payloadByteCount == available else {
            throw .corrupt(reason: "\(available - payloadByteCount) bytes follow the last payload")
        }

        guard baseByteCount == base.count else {
            throw .baseMismatch(reason: "the delta was made against a base of \(baseByteCount) bytes, this base has \(base.count)")
        }
        guard DeltaBaseFingerprint.of(base) == fingerprint else {
            throw .baseMismatch(reason: "the base's header or sampled bytes differ from those the delta was made against")
        }

        var segments: [DeltaSegment] = []
        segments.reserveCapacity(segmentCount)
        var restored = 0
        var payloads = 0
        for index in 0..<segmentCount {
            let segment = try readSegment(
                table, index: index, baseByteCount: baseByteCount, payloadByteCount: payloadByteCount)
            // Each sum stays below the object's or the claimed size, so neither overflows.
            guard segment.length <= targetByteCount - restored else {
                throw .corrupt(reason: "the segments restore more than the \(targetByteCount) bytes of the target")
            }
            guard segment.payloadByteCount <= payloadByteCount - payloads else {
                throw .corrupt(reason: "the segments' payloads add up to more than the \(payloadByteCount) payload bytes")
            }
            restored += segment.length
            payloads += segment.payloadByteCount
            segments.append(segment)
        }
        guard restored == targetByteCount else {
            throw .corrupt(reason: "the segments restore \(restored) bytes, but the target has \(targetByteCount)")
        }
        guard payloads == payloadByteCount else {
            throw .corrupt(reason: "the segments' payloads add up to \(payloads) bytes, but \(payloadByteCount) are stored")
        }
        return DeltaHeader(
            targetByteCount: targetByteCount, baseByteCount: baseByteCount, baseFingerprint: fingerprint,
            segments: segments, payloadByteCount: payloadByteCount)
    }

    private static func readSegment(
        _ table: UnsafeRawBufferPointer, index: Int, baseByteCount: Int, payloadByteCount: Int
    ) throws(ObjectCodecError) -> DeltaSegment {
        let start = index * segmentByteCount
        let entry = UnsafeRawBufferPointer(rebasing: table[start..<(start + segmentByteCount)])
        let name = "segment \(index)"
        guard let kind = DeltaSegment.Kind(rawValue: entry[0]) else {
            throw .corrupt(reason: "\(name) has the unknown kind \(entry[0])")
        }
        guard entry[2..<8].allSatisfy({ $0 == 0 }) else { throw .corrupt(reason: "\(name) has reserved bytes set") }
        let shift = Int(entry[1])
        if kind == .shiftedPlanes32 {
            guard (1...31).contains(shift) else { throw .corrupt(reason: "\(name) has the shift \(shift), not 1…31") }
        } else if shift != 0 {
            throw .corrupt(reason: "\(name) has reserved bytes set")
        }
        let length = try readCount(entry, at: 8, field: "\(name) length")
        let baseOffset = try readCount(entry, at: 16, field: "\(name) base offset")
        var payloadLengths: [Int] = []
        for plane in 0..<4 {
            let payload = try readCount(entry, at: 24 + 8 * plane, field: "\(name) payload length")
            // Bounded by the payload area, so that sums of payload lengths cannot overflow.
            guard payload <= payloadByteCount else {
                throw .corrupt(reason: "\(name) has a payload of \(payload) bytes, more than all \(payloadByteCount) payload bytes")
            }
            payloadLengths.append(payload)
        }
        guard length > 0 else { throw .corrupt(reason: "\(name) is empty") }

        let usesBase = kind != .zstd
        let payloadCount = switch kind { case .reference: 0; case .zstd: 1; case .planes32, .shiftedPlanes32: 4 }
        if usesBase {
            guard baseOffset <= baseByteCount, length <= baseByteCount - baseOffset else {
                throw .corrupt(reason: "\(name) reads base bytes \(baseOffset)..<\(baseOffset &+ length) beyond the base's \(baseByteCount)")
            }
        } else if baseOffset != 0 {
            throw .corrupt(reason: "\(name) has a base offset but does not read the base")
        }
        guard payloadLengths[payloadCount...].allSatisfy({ $0 == 0 }) else {
            throw .corrupt(reason: "\(name) lists more payloads than its kind has")
        }
        // Each frame needs bytes and cannot honestly expand beyond zstd's maximum ratio.
        let restoredPerFrame = kind.hasPlanes ? length / 4 : length
        for payload in payloadLengths[..<payloadCount] {
            guard payload > 0, restoredPerFrame / maximumExpansion <= payload else {
                throw .corrupt(reason: "\(name) has a payload of \(payload) bytes for \(restoredPerFrame) restored bytes")
            }
        }
        if kind.hasPlanes {
            guard length % 4 == 0 else { throw .corrupt(reason: "\(name) holds 32-bit words but has \(length) bytes") }
        }
        return DeltaSegment(kind: kind, length: length, baseOffset: baseOffset, payloadLengths: payloadLengths, shift: shift)
    }

    private static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A 64-bit size or offset, which must fit in Int.
    private static func readCount(_ bytes: UnsafeRawBufferPointer, at offset: Int, field: String) throws(ObjectCodecError) -> Int {
        let value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        guard value <= UInt64(Int.max) else { throw .corrupt(reason: "the \(field) \(value) is out of range") }
        return Int(value)
    }
}
