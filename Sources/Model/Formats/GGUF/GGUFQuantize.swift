import Kernels

/// Turns Float32 rows into a ggml type's bytes, as ggml-quants.c's `quantize_row_*_ref` do:
/// each type Lethe writes (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K) has one `quantizeRow…` function (in LegacyQuantBlocks.swift and
/// KQuantBlocks.swift) beside its decoder. Rows are encoded in parallel; a row never shares a
/// block with another, so the workers write disjoint memory.
public enum GGUFQuantize {
    /// Encodes `count` values (whole blocks) into the bytes at the second pointer.
    typealias RowEncoder = (UnsafePointer<Float>, UnsafeMutableRawPointer, Int) -> Void

    static func rowEncoder(for type: GGMLType) -> RowEncoder? {
        switch type {
        case .f32: quantizeRowF32
        case .f16: quantizeRowF16
        case .bf16: quantizeRowBF16
        case .q8_0: quantizeRowQ8_0
        case .q4_0: quantizeRowQ4_0
        case .q5_0: quantizeRowQ5_0
        case .q4_K: quantizeRowQ4_K
        case .q6_K: quantizeRowQ6_K
        default: nil
        }
    }

    /// The bytes of `values`, rows of `rowLength` values (a multiple of the type's block
    /// size), stored as `type`.
    public static func encode(_ values: UnsafeBufferPointer<Float>, rowLength: Int, as type: GGMLType) -> [UInt8] {
        guard let encode = rowEncoder(for: type) else { preconditionFailure("Lethe does not write \(type.name)") }
        precondition(rowLength > 0 && rowLength % type.blockSize == 0 && values.count % rowLength == 0,
                     "rows must be whole blocks of \(type.name)")
        let rowBytes = rowLength / type.blockSize * type.blockByteCount, rowCount = values.count / rowLength
        var bytes = [UInt8](repeating: 0, count: rowCount * rowBytes)
        guard let input = values.baseAddress else { return bytes }
        bytes.withUnsafeMutableBytes { output in
            let base = output.baseAddress!
            Parallelism.forEachChunk(of: rowCount, minimumChunk: max(1, 16_384 / rowLength)) { rows in
                for row in rows { encode(input + row * rowLength, base + row * rowBytes, rowLength) }
            }
        }
        return bytes
    }

    /// `values` as a file storing them as `type` gives them back: each row encoded, then decoded
    /// into `destination` (which may be the values themselves).
    static func roundTrip(_ values: UnsafePointer<Float>, count: Int, rowLength: Int, as type: GGMLType,
                          into destination: UnsafeMutablePointer<Float>) {
        guard let encode = rowEncoder(for: type), let decode = GGUFFile.rowDecoder(for: type) else {
            preconditionFailure("Lethe does not write \(type.name)")
        }
        precondition(rowLength > 0 && rowLength % type.blockSize == 0 && count % rowLength == 0,
                     "rows must be whole blocks of \(type.name)")
        let rowBytes = rowLength / type.blockSize * type.blockByteCount
        Parallelism.forEachChunk(of: count / rowLength, minimumChunk: max(1, 16_384 / rowLength)) { rows in
            withUnsafeTemporaryAllocation(byteCount: rowBytes, alignment: 16) { scratch in
                for row in rows {
                    encode(values + row * rowLength, scratch.baseAddress!, rowLength)
                    decode(UnsafeRawPointer(scratch.baseAddress!), destination + row * rowLength, rowLength)
                }
            }
        }
    }
}

func quantizeRowF32(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    for i in 0..<count { destination.storeBytes(of: source[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
}

func quantizeRowF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    for i in 0..<count { storeHalf(source[i], destination, 2 * i) }
}

func quantizeRowBF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    for i in 0..<count { destination.storeBytes(of: bfloat16Bits(source[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
}
