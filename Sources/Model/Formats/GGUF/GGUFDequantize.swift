import Kernels

/// Turns a tensor's stored values into Float32, row by row: each ggml type has one
/// `dequantizeRow…` function (in LegacyQuantBlocks.swift and KQuantBlocks.swift) that decodes
/// a run of whole blocks, as ggml-quants.c's `dequantize_row_*` do. Rows are decoded in
/// parallel; a row never shares a block with another, so the workers write disjoint memory.
extension GGUFFile {
    /// The types this reader turns into Float32.
    public static let dequantizableTypes: [GGMLType] = [
        .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
    ]

    /// The tensor's values in ggml order (row-major over `shape`).
    public func floats(of tensor: TensorInfo) throws(GGUFError) -> [Float] {
        var values = [Float](repeating: 0, count: tensor.elementCount)
        try values.withUnsafeMutableBufferPointer { buffer throws(GGUFError) in try readFloats(tensor, into: buffer) }
        return values
    }

    /// Writes the tensor's values into `destination`, which holds exactly `elementCount` floats.
    public func readFloats(_ tensor: TensorInfo, into destination: UnsafeMutableBufferPointer<Float>) throws(GGUFError) {
        precondition(destination.count == tensor.elementCount, "destination must hold the tensor's values")
        guard let decode = Self.rowDecoder(for: tensor.type) else {
            throw .unsupportedTensorType(file: path, tensor: tensor.name, type: tensor.type.name)
        }
        let source = data(of: tensor)
        let rowLength = tensor.dimensions[0]
        guard rowLength > 0, tensor.elementCount > 0 else { return }
        let rowCount = tensor.elementCount / rowLength
        let rowBytes = rowLength / tensor.type.blockSize * tensor.type.blockByteCount
        guard let output = destination.baseAddress, let input = source.baseAddress else { return }
        // About 64K values per chunk keeps thread start-up small against the work.
        Parallelism.forEachChunk(of: rowCount, minimumChunk: max(1, 65_536 / rowLength)) { rows in
            for row in rows {
                decode(input + row * rowBytes, output + row * rowLength, rowLength)
            }
        }
    }

    /// Decodes `count` values (whole blocks) from the bytes at the first pointer.
    typealias RowDecoder = (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void

    static func rowDecoder(for type: GGMLType) -> RowDecoder? {
        switch type {
        case .f32: dequantizeRowF32
        case .f16: dequantizeRowF16
        case .bf16: dequantizeRowBF16
        case .q8_0: dequantizeRowQ8_0
        case .q4_0: dequantizeRowQ4_0
        case .q4_1: dequantizeRowQ4_1
        case .q5_0: dequantizeRowQ5_0
        case .q5_1: dequantizeRowQ5_1
        case .q2_K: dequantizeRowQ2_K
        case .q3_K: dequantizeRowQ3_K
        case .q4_K: dequantizeRowQ4_K
        case .q5_K: dequantizeRowQ5_K
        case .q6_K: dequantizeRowQ6_K
        default: nil
        }
    }
}

/// A little-endian binary16 at `offset`, widened.
@inline(__always)
func halfAt(_ bytes: UnsafeRawPointer, _ offset: Int) -> Float {
    floatFromHalfBits(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

func dequantizeRowF32(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count {
        destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
    }
}

func dequantizeRowF16(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { destination[i] = halfAt(source, 2 * i) }
}

func dequantizeRowBF16(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count {
        destination[i] = floatFromBFloat16Bits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
    }
}
