// The K-quants: super-blocks of 256 values in 16 or 8 sub-blocks, each sub-block with its own
// scale (and minimum) quantised against the super-block's binary16 `d` (and `dmin`).
// Byte offsets below are within one super-block, in the order ggml's block_q*_K structs have.
// The types Lethe writes (Q4_K, Q6_K) have their `quantizeRow…` beside the decoder: ggml's
// `quantize_row_*_ref` (no importance matrix), which search each sub-block's best scale.

private let superBlockSize = GGMLType.kBlockSize

/// Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64] (2-bit quants, four
/// per byte), d, dmin. Value = d·scale·q − dmin·min, 16 values per scale.
func dequantizeRowQ2_K(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / superBlockSize {
        let bytes = source + block * GGMLType.q2_K.blockByteCount, y = destination + block * superBlockSize
        let d = halfAt(bytes, 80), dmin = halfAt(bytes, 82)
        // Value i = half·128 + shift·32 + l sits in quant byte half·32 + l at bit 2·shift.
        for i in 0..<superBlockSize {
            let half = i / 128, shift = (i % 128) / 32, l = i % 32
            let scale = bytes.load(fromByteOffset: i / 16, as: UInt8.self)
            let q = (bytes.load(fromByteOffset: 16 + half * 32 + l, as: UInt8.self) >> UInt8(2 * shift)) & 3
            y[i] = d * Float(scale & 0x0F) * Float(q) - dmin * Float(scale >> 4)
        }
    }
}

/// Q3_K (110 bytes): hmask[32] (the third bit, inverted: a clear bit subtracts 4), qs[64]
/// (2-bit low quants), scales[12] (sixteen 6-bit scales, biased by 32), d.
/// Value = d·(scale − 32)·(q − (high bit ? 0 : 4)).
func dequantizeRowQ3_K(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scales in
        for block in 0..<count / superBlockSize {
            let bytes = source + block * GGMLType.q3_K.blockByteCount, y = destination + block * superBlockSize
            let d = halfAt(bytes, 108)
            // Scale s: low 4 bits in byte s (s < 8) or the high nibble of byte s − 8; the top
            // 2 bits in byte 8 + s % 4 at bit 2·(s / 4).
            for s in 0..<16 {
                let packed = bytes.load(fromByteOffset: 96 + s % 8, as: UInt8.self)
                let low = s < 8 ? packed & 0x0F : packed >> 4
                let top = (bytes.load(fromByteOffset: 96 + 8 + s % 4, as: UInt8.self) >> UInt8(2 * (s / 4))) & 3
                scales[s] = d * Float(Int(low | top << 4) - 32)
            }
            // Value i = half·128 + shift·32 + l: low bits in qs byte half·32 + l at bit 2·shift,
            // high bit in hmask byte l at bit half·4 + shift.
            for i in 0..<superBlockSize {
                let half = i / 128, shift = (i % 128) / 32, l = i % 32
                let low = Int((bytes.load(fromByteOffset: 32 + half * 32 + l, as: UInt8.self) >> UInt8(2 * shift)) & 3)
                let high = (bytes.load(fromByteOffset: l, as: UInt8.self) >> UInt8(half * 4 + shift)) & 1
                y[i] = scales[i / 16] * Float(low - (high == 1 ? 0 : 4))
            }
        }
    }
}

/// The 6-bit scale and minimum of sub-block `j` (of 8) packed in 12 bytes, as Q4_K and Q5_K
/// store them (ggml's get_scale_min_k4).
@inline(__always)
private func scaleAndMinimum(_ j: Int, _ packed: UnsafeRawPointer) -> (scale: Float, minimum: Float) {
    func byte(_ k: Int) -> UInt8 { packed.load(fromByteOffset: k, as: UInt8.self) }
    if j < 4 { return (Float(byte(j) & 63), Float(byte(j + 4) & 63)) }
    return (Float((byte(j + 4) & 0x0F) | (byte(j - 4) >> 6) << 4), Float((byte(j + 4) >> 4) | (byte(j) >> 6) << 4))
}

/// Q4_K (144 bytes): d, dmin, scales[12] (eight 6-bit scales and mins), qs[128] (4-bit quants).
/// Sub-blocks of 32: pairs share 32 quant bytes, low nibbles first. Value = d·scale·q − dmin·min.
func dequantizeRowQ4_K(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / superBlockSize {
        let bytes = source + block * GGMLType.q4_K.blockByteCount, y = destination + block * superBlockSize
        let d = halfAt(bytes, 0), dmin = halfAt(bytes, 2)
        for sub in 0..<8 {
            let (scale, minimum) = scaleAndMinimum(sub, bytes + 4)
            let factor = d * scale, offset = dmin * minimum
            let quants = 16 + (sub / 2) * 32, nibbleShift = UInt8(4 * (sub % 2))
            for l in 0..<32 {
                let q = (bytes.load(fromByteOffset: quants + l, as: UInt8.self) >> nibbleShift) & 0x0F
                y[sub * 32 + l] = factor * Float(q) - offset
            }
        }
    }
}

func quantizeRowQ4_K(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: superBlockSize + 32 + 12) { levels in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 16) { floats in
            let L = levels.baseAddress!, scratch = L + superBlockSize, packed = scratch + 32
            let weights = floats.baseAddress!, scales = weights + 32, minimums = scales + 8
            for block in 0..<count / superBlockSize {
                let x = source + block * superBlockSize, bytes = destination + block * GGMLType.q4_K.blockByteCount
                var largestScale: Float = 0, largestMinimum: Float = 0
                for sub in 0..<8 {
                    let xs = x + 32 * sub
                    var sumOfSquares: Float = 0
                    for l in 0..<32 { sumOfSquares += xs[l] * xs[l] }
                    let average = (sumOfSquares / 32).squareRoot()
                    for l in 0..<32 { weights[l] = average + abs(xs[l]) }
                    (scales[sub], minimums[sub]) = AsymmetricLevels.fit(
                        xs, weights: weights, count: 32, maximumLevel: 15, levels: L + 32 * sub, scratch: scratch,
                        search: (start: -1, step: 0.1, steps: 20))
                    // Strict comparisons, as ggml's: an all-zero sub-block's minimum is −0, and
                    // `max` could keep it, giving dmin the sign bit ggml's does not have.
                    if scales[sub] > largestScale { largestScale = scales[sub] }
                    if minimums[sub] > largestMinimum { largestMinimum = minimums[sub] }
                }
                // Eight 6-bit scales and minimums relative to d and dmin, packed as
                // `scaleAndMinimum` unpacks them.
                let inverseScale: Float = largestScale > 0 ? 63 / largestScale : 0
                let inverseMinimum: Float = largestMinimum > 0 ? 63 / largestMinimum : 0
                packed.initialize(repeating: 0, count: 12)
                for sub in 0..<8 {
                    let scale = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseScale * scales[sub])))
                    let minimum = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseMinimum * minimums[sub])))
                    if sub < 4 {
                        packed[sub] = scale
                        packed[sub + 4] = minimum
                    } else {
                        packed[sub + 4] = scale & 0x0F | (minimum & 0x0F) << 4
                        packed[sub - 4] |= (scale >> 4) << 6
                        packed[sub] |= (minimum >> 4) << 6
                    }
                }
                storeHalf(largestScale / 63, bytes, 0)
                storeHalf(largestMinimum / 63, bytes, 2)
                (bytes + 4).copyMemory(from: packed, byteCount: 12)
                // The quants, again against the scales as stored.
                let d = halfAt(bytes, 0), dmin = halfAt(bytes, 2)
                for sub in 0..<8 {
                    let (scale, minimum) = scaleAndMinimum(sub, bytes + 4)
                    let factor = d * scale
                    guard factor != 0 else { continue }
                    let offset = dmin * minimum
                    for l in 0..<32 { L[32 * sub + l] = UInt8(max(0, min(15, nearestInt((x[32 * sub + l] + offset) / factor)))) }
                }
                // Sub-blocks 2k and 2k + 1 share 32 bytes: low nibbles, then high nibbles.
                for pair in 0..<4 {
                    for l in 0..<32 {
                        let byte = L[64 * pair + l] | L[64 * pair + 32 + l] << 4
                        bytes.storeBytes(of: byte, toByteOffset: 16 + 32 * pair + l, as: UInt8.self)
                    }
                }
            }
        }
    }
}

/// Q5_K (176 bytes): d, dmin, scales[12], qh[32] (fifth bit of sub-block s at bit s), qs[128].
/// Value = d·scale·q − dmin·min.
func dequantizeRowQ5_K(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / superBlockSize {
        let bytes = source + block * GGMLType.q5_K.blockByteCount, y = destination + block * superBlockSize
        let d = halfAt(bytes, 0), dmin = halfAt(bytes, 2)
        for sub in 0..<8 {
            let (scale, minimum) = scaleAndMinimum(sub, bytes + 4)
            let factor = d * scale, offset = dmin * minimum
            let quants = 48 + (sub / 2) * 32, nibbleShift = UInt8(4 * (sub % 2))
            for l in 0..<32 {
                let low = (bytes.load(fromByteOffset: quants + l, as: UInt8.self) >> nibbleShift) & 0x0F
                let high = (bytes.load(fromByteOffset: 16 + l, as: UInt8.self) >> UInt8(sub)) & 1
                y[sub * 32 + l] = factor * Float(low | high << 4) - offset
            }
        }
    }
}

/// Q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d.
/// Value = d·scale·(q − 32), 16 values per scale.
func dequantizeRowQ6_K(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / superBlockSize {
        let bytes = source + block * GGMLType.q6_K.blockByteCount, y = destination + block * superBlockSize
        let d = halfAt(bytes, 208)
        // Value i = half·128 + quarter·32 + l: low bits in ql byte half·64 + (quarter % 2)·32 + l
        // (high nibble for quarters 2 and 3), high bits in qh byte half·32 + l at bit 2·quarter.
        for i in 0..<superBlockSize {
            let half = i / 128, quarter = (i % 128) / 32, l = i % 32
            let lowByte = bytes.load(fromByteOffset: half * 64 + (quarter % 2) * 32 + l, as: UInt8.self)
            let low = quarter < 2 ? lowByte & 0x0F : lowByte >> 4
            let high = (bytes.load(fromByteOffset: 128 + half * 32 + l, as: UInt8.self) >> UInt8(2 * quarter)) & 3
            let scale = Float(Int8(bitPattern: bytes.load(fromByteOffset: 192 + i / 16, as: UInt8.self)))
            y[i] = d * scale * Float(Int(low | high << 4) - 32)
        }
    }
}

func quantizeRowQ6_K(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    withUnsafeTemporaryAllocation(of: Int8.self, capacity: superBlockSize) { levels in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scales in
            let L = levels.baseAddress!
            for block in 0..<count / superBlockSize {
                let x = source + block * superBlockSize, bytes = destination + block * GGMLType.q6_K.blockByteCount
                var largestMagnitude: Float = 0, largest: Float = 0
                for sub in 0..<16 {
                    scales[sub] = SymmetricLevels.fit(x + 16 * sub, count: 16, levelsEachSide: 32, levels: L + 16 * sub)
                    if abs(scales[sub]) > largestMagnitude {
                        largestMagnitude = abs(scales[sub])
                        largest = scales[sub]
                    }
                }
                guard largestMagnitude >= SymmetricLevels.smallestGroupMaximum else {
                    bytes.initializeMemory(as: UInt8.self, repeating: 0, count: GGMLType.q6_K.blockByteCount)
                    continue
                }
                // Sixteen int8 scales relative to d, the largest mapped to −128.
                let inverse = -128 / largest
                storeHalf(1 / inverse, bytes, 208)
                for sub in 0..<16 {
                    let scale = Int8(truncatingIfNeeded: min(127, nearestInt(inverse * scales[sub])))
                    bytes.storeBytes(of: scale, toByteOffset: 192 + sub, as: Int8.self)
                }
                let d = halfAt(bytes, 208)
                for sub in 0..<16 {
                    let factor = d * Float(bytes.load(fromByteOffset: 192 + sub, as: Int8.self))
                    guard factor != 0 else { continue }
                    for l in 0..<16 { L[16 * sub + l] = Int8(max(-32, min(31, nearestInt(x[16 * sub + l] / factor))) + 32) }
                }
                // The layout `dequantizeRowQ6_K` reads: value half·128 + quarter·32 + l.
                for half in 0..<2 {
                    for l in 0..<32 {
                        func q(_ quarter: Int) -> UInt8 { UInt8(L[128 * half + 32 * quarter + l]) }
                        bytes.storeBytes(of: q(0) & 0x0F | (q(2) & 0x0F) << 4, toByteOffset: 64 * half + l, as: UInt8.self)
                        bytes.storeBytes(of: q(1) & 0x0F | (q(3) & 0x0F) << 4, toByteOffset: 64 * half + 32 + l, as: UInt8.self)
                        let high = q(0) >> 4 | (q(1) >> 4) << 2 | (q(2) >> 4) << 4 | (q(3) >> 4) << 6
                        bytes.storeBytes(of: high, toByteOffset: 128 + 32 * half + l, as: UInt8.self)
                    }
                }
            }
        }
    }
}
