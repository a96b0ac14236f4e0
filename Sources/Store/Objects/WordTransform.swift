import Model

/// The invertible maps from a (base word, target word) pair of 32-bit bit patterns to the
/// word whose four bytes a delta stores as separate planes. The codec writes
/// `zigzagDifference`; the others stay for `ObjectCodec.measure`, which compares them
/// (docs/store.md, "Measurements").
enum WordTransform: String, CaseIterable, Sendable {
    /// `target ^ base`.
    case xor
    /// `target &- base`, the wrapping difference of the bit patterns.
    case difference
    /// The wrapping difference, zigzag-mapped (0, −1, 1, −2 … → 0, 1, 2, 3 …) so that small
    /// negative differences have zero high bytes too.
    case zigzagDifference
    /// The difference of the patterns as integers that order like the floats they hold
    /// (`OrderedFloatBits`), less `shift` low-order bits that the caller knows are zero, then
    /// zigzag-mapped: an update on a change grid (`ChangeGrid`) of 2^shift units in the last
    /// place becomes small integers, and a sign change costs no more than a small step.
    case orderedZigzagDifference

    /// Splits `wordCount` little-endian words of `target` against `base` into four planes at
    /// `planes`: plane k (bytes `k·wordCount ..< (k+1)·wordCount`) holds byte k (0 = least
    /// significant) of every transformed word. `shift` is `orderedZigzagDifference`'s (0 for the others).
    func split(target: UnsafeRawPointer, base: UnsafeRawPointer, wordCount: Int, planes: UnsafeMutablePointer<UInt8>, shift: Int = 0) {
        precondition(shift == 0 || self == .orderedZigzagDifference, "only the ordered difference drops low-order bits")
        let shift = UInt32(shift)
        switch self {
        case .xor: Self.split(Xor.self, target: target, base: base, wordCount: wordCount, planes: planes, shift: shift)
        case .difference: Self.split(Difference.self, target: target, base: base, wordCount: wordCount, planes: planes, shift: shift)
        case .zigzagDifference: Self.split(ZigzagDifference.self, target: target, base: base, wordCount: wordCount, planes: planes, shift: shift)
        case .orderedZigzagDifference:
            Self.split(OrderedZigzagDifference.self, target: target, base: base, wordCount: wordCount, planes: planes, shift: shift)
        }
    }

    /// The inverse of `split`: rebuilds `wordCount` target words into `target`.
    func merge(planes: UnsafePointer<UInt8>, base: UnsafeRawPointer, wordCount: Int, into target: UnsafeMutableRawPointer, shift: Int = 0) {
        precondition(shift == 0 || self == .orderedZigzagDifference, "only the ordered difference drops low-order bits")
        let shift = UInt32(shift)
        switch self {
        case .xor: Self.merge(Xor.self, planes: planes, base: base, wordCount: wordCount, into: target, shift: shift)
        case .difference: Self.merge(Difference.self, planes: planes, base: base, wordCount: wordCount, into: target, shift: shift)
        case .zigzagDifference: Self.merge(ZigzagDifference.self, planes: planes, base: base, wordCount: wordCount, into: target, shift: shift)
        case .orderedZigzagDifference:
            Self.merge(OrderedZigzagDifference.self, planes: planes, base: base, wordCount: wordCount, into: target, shift: shift)
        }
    }

    /// The most low-order bits every ordered difference of the `wordCount` words has zero
    /// (32 when all are equal): the largest shift `orderedZigzagDifference` can use.
    static func commonZeroBits(target: UnsafeRawPointer, base: UnsafeRawPointer, wordCount: Int) -> Int {
        var bits: UInt32 = 0
        for i in 0..<wordCount {
            let t = UInt32(littleEndian: target.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            let b = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            bits |= OrderedFloatBits.integer(t) &- OrderedFloatBits.integer(b)
        }
        return bits.trailingZeroBitCount
    }

    // Sixteen words at a time as SIMD vectors (the compiler keeps them in vector registers),
    // then the remainder one by one through the same lane-wise functions.
    private typealias Words = SIMD16<UInt32>
    private typealias Bytes = SIMD16<UInt8>
    private static let lanes = 16

    private static func split<Map: WordMap>(
        _: Map.Type, target: UnsafeRawPointer, base: UnsafeRawPointer, wordCount n: Int, planes: UnsafeMutablePointer<UInt8>,
        shift: UInt32
    ) {
        let p0 = UnsafeMutableRawPointer(planes), p1 = p0 + n, p2 = p1 + n, p3 = p2 + n
        var i = 0
        while i + lanes <= n {
            let t = littleEndian(target.loadUnaligned(fromByteOffset: 4 * i, as: Words.self))
            let b = littleEndian(base.loadUnaligned(fromByteOffset: 4 * i, as: Words.self))
            let w = Map.forward(target: t, base: b, shift: shift)
            p0.storeBytes(of: Bytes(truncatingIfNeeded: w), toByteOffset: i, as: Bytes.self)
            p1.storeBytes(of: Bytes(truncatingIfNeeded: w &>> 8), toByteOffset: i, as: Bytes.self)
            p2.storeBytes(of: Bytes(truncatingIfNeeded: w &>> 16), toByteOffset: i, as: Bytes.self)
            p3.storeBytes(of: Bytes(truncatingIfNeeded: w &>> 24), toByteOffset: i, as: Bytes.self)
            i += lanes
        }
        while i < n {
            let t = UInt32(littleEndian: target.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            let b = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            let w = Map.forward(target: t, base: b, shift: shift)
            planes[i] = UInt8(truncatingIfNeeded: w)
            planes[n + i] = UInt8(truncatingIfNeeded: w >> 8)
            planes[2 * n + i] = UInt8(truncatingIfNeeded: w >> 16)
            planes[3 * n + i] = UInt8(truncatingIfNeeded: w >> 24)
            i += 1
        }
    }

    private static func merge<Map: WordMap>(
        _: Map.Type, planes: UnsafePointer<UInt8>, base: UnsafeRawPointer, wordCount n: Int, into target: UnsafeMutableRawPointer,
        shift: UInt32
    ) {
        let p0 = UnsafeRawPointer(planes), p1 = p0 + n, p2 = p1 + n, p3 = p2 + n
        var i = 0
        while i + lanes <= n {
            let w = Words(truncatingIfNeeded: p0.loadUnaligned(fromByteOffset: i, as: Bytes.self))
                | Words(truncatingIfNeeded: p1.loadUnaligned(fromByteOffset: i, as: Bytes.self)) &<< 8
                | Words(truncatingIfNeeded: p2.loadUnaligned(fromByteOffset: i, as: Bytes.self)) &<< 16
                | Words(truncatingIfNeeded: p3.loadUnaligned(fromByteOffset: i, as: Bytes.self)) &<< 24
            let b = littleEndian(base.loadUnaligned(fromByteOffset: 4 * i, as: Words.self))
            target.storeBytes(of: littleEndian(Map.inverse(word: w, base: b, shift: shift)), toByteOffset: 4 * i, as: Words.self)
            i += lanes
        }
        while i < n {
            let w = UInt32(planes[i]) | UInt32(planes[n + i]) << 8 | UInt32(planes[2 * n + i]) << 16
                | UInt32(planes[3 * n + i]) << 24
            let b = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            let t = Map.inverse(word: w, base: b, shift: shift)
            target.storeBytes(of: t.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            i += 1
        }
    }

    /// Little-endian file words to native order and back (the same swap both ways).
    @inline(__always)
    private static func littleEndian<V: SIMD>(_ words: V) -> V where V.Scalar == UInt32 {
        #if _endian(big)
            var swapped = words
            for lane in swapped.indices { swapped[lane] = swapped[lane].byteSwapped }
            return swapped
        #else
            return words
        #endif
    }
}

/// One transform, lane-wise over vectors of words. `shift`: low-order bits known to be zero
/// that the transform drops (only `OrderedZigzagDifference` has any).
private protocol WordMap {
    static func forward<V: SIMD>(target: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32
    static func inverse<V: SIMD>(word: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32
    static func forward(target: UInt32, base: UInt32, shift: UInt32) -> UInt32
    static func inverse(word: UInt32, base: UInt32, shift: UInt32) -> UInt32
}

private enum Xor: WordMap {
    @inline(__always) static func forward<V: SIMD>(target: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 { target ^ base }
    @inline(__always) static func inverse<V: SIMD>(word: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 { word ^ base }
    static func forward(target: UInt32, base: UInt32, shift: UInt32) -> UInt32 { target ^ base }
    static func inverse(word: UInt32, base: UInt32, shift: UInt32) -> UInt32 { word ^ base }
}

private enum Difference: WordMap {
    @inline(__always) static func forward<V: SIMD>(target: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 { target &- base }
    @inline(__always) static func inverse<V: SIMD>(word: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 { base &+ word }
    static func forward(target: UInt32, base: UInt32, shift: UInt32) -> UInt32 { target &- base }
    static func inverse(word: UInt32, base: UInt32, shift: UInt32) -> UInt32 { base &+ word }
}

private enum ZigzagDifference: WordMap {
    @inline(__always) static func forward<V: SIMD>(target: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 {
        let d = target &- base
        // The sign bit spread over the word: all ones for a negative difference.
        let sign = V.zero &- (d &>> 31)
        return (d &<< 1) ^ sign
    }

    @inline(__always) static func inverse<V: SIMD>(word: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 {
        base &+ ((word &>> 1) ^ (V.zero &- (word & 1)))
    }

    static func forward(target: UInt32, base: UInt32, shift: UInt32) -> UInt32 {
        let d = target &- base
        return (d &<< 1) ^ (0 &- (d &>> 31))
    }

    static func inverse(word: UInt32, base: UInt32, shift: UInt32) -> UInt32 { base &+ ((word &>> 1) ^ (0 &- (word & 1))) }
}

private enum OrderedZigzagDifference: WordMap {
    @inline(__always) static func forward<V: SIMD>(target: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 {
        // The arithmetic shift of the two's-complement difference: its sign bit spread over
        // the bits shifted in, then the zigzag's spread of it.
        let d = ordered(target) &- ordered(base)
        let sign = V.zero &- (d &>> 31)
        let shifted = (d &>> V(repeating: shift)) | ((sign &<< V(repeating: 31 &- shift)) &<< 1)
        return (shifted &<< 1) ^ sign
    }

    @inline(__always) static func inverse<V: SIMD>(word: V, base: V, shift: UInt32) -> V where V.Scalar == UInt32 {
        let d = ((word &>> 1) ^ (V.zero &- (word & 1))) &<< V(repeating: shift)
        return ordered(ordered(base) &+ d)
    }

    static func forward(target: UInt32, base: UInt32, shift: UInt32) -> UInt32 {
        let d = Int32(bitPattern: OrderedFloatBits.integer(target) &- OrderedFloatBits.integer(base)) >> Int32(shift)
        return UInt32(bitPattern: (d &<< 1) ^ (d >> 31))
    }

    static func inverse(word: UInt32, base: UInt32, shift: UInt32) -> UInt32 {
        let d = ((word >> 1) ^ (0 &- (word & 1))) &<< shift
        return OrderedFloatBits.integer(OrderedFloatBits.integer(base) &+ d)
    }

    @inline(__always) private static func ordered<V: SIMD>(_ pattern: V) -> V where V.Scalar == UInt32 {
        pattern ^ ((V.zero &- (pattern &>> 31)) & V(repeating: 0x7FFF_FFFF))
    }
}
