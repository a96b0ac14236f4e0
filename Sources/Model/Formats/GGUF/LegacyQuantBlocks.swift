// The 32-value blocks of ggml's first quantisation types. Each block stores a binary16 scale
// `d` (and for the _1 types a binary16 offset `m`), then the quants; value = d·q (+ m). The
// low nibbles of the 16 quant bytes are values 0–15, the high nibbles values 16–31.

private let legacyBlockSize = 32

/// Q8_0: d (2 bytes), 32 × int8. Value = d·q.
func dequantizeRowQ8_0(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count / legacyBlockSize {
        let bytes = source + block * GGMLType.q8_0.blockByteCount, y = destination + block * legacyBlockSize
        let d = halfAt(bytes, 0)
        for j in 0..<32 { y[j] = Float(Int8(bitPattern: bytes.load(fromByteOffset: 2 + j, as: UInt8.self))) * d }
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
