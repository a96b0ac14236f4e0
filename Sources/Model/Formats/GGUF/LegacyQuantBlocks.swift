// The 32-value blocks of ggml's first quantisation types. Each block stores a binary16 scale
// `d` (and for the _1 types a binary16 offset `m`), then the quants; value = d·q (+ m). The
// low nibbles of the 16 quant bytes are values 0–15, the high nibbles values 16–31.
// The types Lethe writes have their `quantizeRow…` (ggml's `quantize_row_*_ref`) beside the
// decoder: the scale comes from the value of largest magnitude, the quants round against it.

private let legacyBlockSize = 32

/// Q8_0: d (2 bytes), 32 × int8. Value = d·q.
func dequantizeRowQ8_0(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let bytes = source + block * GGMLType.q8_0.blockByteCount, y = destination + block * legacyBlockSize
        let d = halfAt(bytes, 0)
        for j in 0..<32 { y[j] = Float(Int8(bitPattern: bytes.load(fromByteOffset: 2 + j, as: UInt8.self))) * d }
    }
}

func quantizeRowQ8_0(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let x = source + block * legacyBlockSize, bytes = destination + block * GGMLType.q8_0.blockByteCount
        var largest: Float = 0
        for j in 0..<32 { largest = max(largest, abs(x[j])) }
        let d = largest / 127, inverse = d != 0 ? 1 / d : 0
        storeHalf(d, bytes, 0)
        for j in 0..<32 { bytes.storeBytes(of: Int8(truncatingIfNeeded: truncatedInt((x[j] * inverse).rounded())), toByteOffset: 2 + j, as: Int8.self) }
    }
}

/// Q4_0: d, 16 bytes of 4-bit quants. Value = d·(q − 8).
func dequantizeRowQ4_0(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let bytes = source + block * GGMLType.q4_0.blockByteCount, y = destination + block * legacyBlockSize
        let d = halfAt(bytes, 0)
        for j in 0..<16 {
            let q = bytes.load(fromByteOffset: 2 + j, as: UInt8.self)
            y[j] = Float(Int(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }
}

/// The scale of a symmetric block of `levels` steps each side: the value of largest
/// magnitude, with its sign, maps to −levels (ggml's `max / -8`, `max / -16`).
private func symmetricScale(_ x: UnsafePointer<Float>, levels: Float) -> Float {
    var largest: Float = 0, signed: Float = 0
    for j in 0..<32 where abs(x[j]) > largest {
        largest = abs(x[j])
        signed = x[j]
    }
    return signed / -levels
}

func quantizeRowQ4_0(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let x = source + block * legacyBlockSize, bytes = destination + block * GGMLType.q4_0.blockByteCount
        let d = symmetricScale(x, levels: 8), inverse = d != 0 ? 1 / d : 0
        storeHalf(d, bytes, 0)
        for j in 0..<16 {
            let low = min(15, truncatedInt(x[j] * inverse + 8.5)) & 0x0F, high = min(15, truncatedInt(x[j + 16] * inverse + 8.5)) & 0x0F
            bytes.storeBytes(of: UInt8(low | high << 4), toByteOffset: 2 + j, as: UInt8.self)
        }
    }
}

/// Q4_1: d, m, 16 bytes of 4-bit quants. Value = d·q + m.
func dequantizeRowQ4_1(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let bytes = source + block * GGMLType.q4_1.blockByteCount, y = destination + block * legacyBlockSize
        let d = halfAt(bytes, 0), m = halfAt(bytes, 2)
        for j in 0..<16 {
            let q = bytes.load(fromByteOffset: 4 + j, as: UInt8.self)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }
}

/// Q5_0: d, a uint32 of fifth bits (bit j for value j), 16 bytes of low nibbles. Value = d·(q − 16).
func dequantizeRowQ5_0(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let bytes = source + block * GGMLType.q5_0.blockByteCount, y = destination + block * legacyBlockSize
        let d = halfAt(bytes, 0)
        let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let q = bytes.load(fromByteOffset: 6 + j, as: UInt8.self)
            let q0 = Int(q & 0x0F) | Int((high >> UInt32(j)) & 1) << 4
            let q1 = Int(q >> 4) | Int((high >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(q0 - 16) * d
            y[j + 16] = Float(q1 - 16) * d
        }
    }
}

/// Q5_0 is what llama.cpp writes for a Q4_K tensor whose rows are not whole super-blocks.
func quantizeRowQ5_0(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let x = source + block * legacyBlockSize, bytes = destination + block * GGMLType.q5_0.blockByteCount
        let d = symmetricScale(x, levels: 16), inverse = d != 0 ? 1 / d : 0
        storeHalf(d, bytes, 0)
        var high: UInt32 = 0
        for j in 0..<16 {
            let q0 = min(31, truncatedInt(x[j] * inverse + 16.5)) & 0x1F, q1 = min(31, truncatedInt(x[j + 16] * inverse + 16.5)) & 0x1F
            bytes.storeBytes(of: UInt8(q0 & 0x0F | (q1 & 0x0F) << 4), toByteOffset: 6 + j, as: UInt8.self)
            high |= UInt32(q0 >> 4) << UInt32(j) | UInt32(q1 >> 4) << UInt32(j + 16)
        }
        bytes.storeBytes(of: high.littleEndian, toByteOffset: 2, as: UInt32.self)
    }
}

/// Q5_1: d, m, the fifth bits, 16 bytes of low nibbles. Value = d·q + m.
func dequantizeRowQ5_1(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let bytes = source + block * GGMLType.q5_1.blockByteCount, y = destination + block * legacyBlockSize
        let d = halfAt(bytes, 0), m = halfAt(bytes, 2)
        let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let q = bytes.load(fromByteOffset: 8 + j, as: UInt8.self)
            let q0 = Int(q & 0x0F) | Int((high >> UInt32(j)) & 1) << 4
            let q1 = Int(q >> 4) | Int((high >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(q0) * d + m
            y[j + 16] = Float(q1) * d + m
        }
    }
}
