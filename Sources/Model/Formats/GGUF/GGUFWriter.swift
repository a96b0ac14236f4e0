import Foundation

/// Writes a GGUF version 3 file the way gguf-py's `GGUFWriter` lays it out: the header (magic,
/// version, tensor and key counts), the metadata key-values in the order given, the tensor
/// infos, padding to `general.alignment`, then each tensor's data, each starting at a multiple
/// of the alignment. The file is written through `DurableFile` (temporary file, flush, rename);
/// the tensors are encoded one at a time as the data is written, so only one is in memory.
public struct GGUFWriter {
    public struct Tensor {
        public let name: String
        /// ggml's order: the first dimension is the row length.
        public let dimensions: [Int]
        public let type: GGMLType
        /// The tensor's bytes, called once when the data is written.
        public let encode: () -> [UInt8]

        public init(name: String, dimensions: [Int], type: GGMLType, encode: @escaping () -> [UInt8]) {
            self.name = name
            self.dimensions = dimensions
            self.type = type
            self.encode = encode
        }

        var byteCount: Int { dimensions.reduce(1, *) / type.blockSize * type.blockByteCount }
    }

    public static let alignment = GGUFFile.defaultAlignment

    public var metadata: [(key: String, value: GGUFValue)]
    public var tensors: [Tensor]

    /// `general.alignment` is added to `metadata` when it lacks it.
    public init(metadata: [(key: String, value: GGUFValue)], tensors: [Tensor]) {
        self.metadata = metadata
        if !metadata.contains(where: { $0.key == "general.alignment" }) {
            self.metadata.append((key: "general.alignment", value: .uint32(UInt32(Self.alignment))))
        }
        self.tensors = tensors
    }

    public func write(to url: URL) throws {
        try DurableFile.write(to: url) { sink in
            var header = headerBytes()
            header.append(contentsOf: [UInt8](repeating: 0, count: Self.padding(after: header.count)))
            try header.withUnsafeBytes { try sink($0) }
            for tensor in tensors {
                var bytes = tensor.encode()
                precondition(bytes.count == tensor.byteCount, "tensor \(tensor.name) encoded to the wrong size")
                bytes.append(contentsOf: [UInt8](repeating: 0, count: Self.padding(after: bytes.count)))
                try bytes.withUnsafeBytes { try sink($0) }
            }
        }
    }

    /// Everything before the data section.
    func headerBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        Self.append(UInt32(0x4655_4747), to: &bytes)  // "GGUF"
        Self.append(UInt32(3), to: &bytes)
        Self.append(UInt64(tensors.count), to: &bytes)
        Self.append(UInt64(metadata.count), to: &bytes)
        for (key, value) in metadata {
            Self.append(key, to: &bytes)
            Self.append(Self.typeCode(of: value).rawValue, to: &bytes)
            Self.appendValue(value, to: &bytes)
        }
        var offset = 0
        for tensor in tensors {
            Self.append(tensor.name, to: &bytes)
            Self.append(UInt32(tensor.dimensions.count), to: &bytes)
            for dimension in tensor.dimensions { Self.append(UInt64(dimension), to: &bytes) }
            Self.append(tensor.type.rawValue, to: &bytes)
            Self.append(UInt64(offset), to: &bytes)
            offset += tensor.byteCount + Self.padding(after: tensor.byteCount)
        }
        return bytes
    }

    private static func padding(after count: Int) -> Int { (alignment - count % alignment) % alignment }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func append(_ string: String, to bytes: inout [UInt8]) {
        append(UInt64(string.utf8.count), to: &bytes)
        bytes.append(contentsOf: string.utf8)
    }

    /// An array's element type is its first element's; an empty array is written as one of uint8.
    private static func typeCode(of value: GGUFValue) -> GGUFValue.TypeCode {
        switch value {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    private static func appendValue(_ value: GGUFValue, to bytes: inout [UInt8]) {
        switch value {
        case .uint8(let v): append(v, to: &bytes)
        case .int8(let v): append(v, to: &bytes)
        case .uint16(let v): append(v, to: &bytes)
        case .int16(let v): append(v, to: &bytes)
        case .uint32(let v): append(v, to: &bytes)
        case .int32(let v): append(v, to: &bytes)
        case .uint64(let v): append(v, to: &bytes)
        case .int64(let v): append(v, to: &bytes)
        case .float32(let v): append(v.bitPattern, to: &bytes)
        case .float64(let v): append(v.bitPattern, to: &bytes)
        case .bool(let v): append(UInt8(v ? 1 : 0), to: &bytes)
        case .string(let v): append(v, to: &bytes)
        case .array(let elements):
            let elementType = elements.first.map(typeCode) ?? .uint8
            precondition(elements.allSatisfy { typeCode(of: $0) == elementType }, "a GGUF array holds values of one type")
            append(elementType.rawValue, to: &bytes)
            append(UInt64(elements.count), to: &bytes)
            for element in elements { appendValue(element, to: &bytes) }
        }
    }
}
