import Foundation

/// A GGUF file (llama.cpp's model format), read as gguf-py's reader and ggml's gguf.c read it:
/// a plain walk over the header (magic, version, counts), the metadata key-values, the tensor
/// infos, and the data section that starts at the next multiple of `general.alignment`.
///
/// The file is untrusted. Every count and length is checked against the bytes that remain
/// before anything is allocated for it; tensor dimensions are checked for overflow; each
/// tensor's data must be aligned, inside the data section and apart from every other
/// tensor's. The file is memory-mapped; tensors are read from the mapping on demand.
public final class GGUFFile: @unchecked Sendable {  // immutable after init
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        /// ggml's order: the first dimension is the row length (the fastest-varying index).
        public let dimensions: [Int]
        public let type: GGMLType
        /// Offset of the tensor's data from the start of the data section.
        public let dataOffset: Int
        public let byteCount: Int

        public var elementCount: Int { dimensions.reduce(1, *) }
        /// The shape as PyTorch and safetensors write it: ggml's dimensions reversed.
        public var shape: [Int] { dimensions.reversed() }
    }

    public static let defaultAlignment = 32
    /// Deepest nesting of arrays accepted in metadata (real files use one level).
    public static let maximumArrayNesting = 4
    /// Metadata values (array elements counted one by one) a file may hold: each costs a boxed
    /// value in memory, so a small element type could otherwise ask for ~24× the file's size.
    /// Real files hold about a million (a 256k vocabulary's tokens, scores, types and merges).
    public static let maximumMetadataValues: UInt64 = 1 << 23
    static let maximumDimensions: UInt32 = 4

    public let path: String
    public let version: UInt32
    /// Metadata keys in file order, and their values.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [TensorInfo]
    public let alignment: Int
    /// Where the data section starts, from the start of the file.
    public let dataStart: Int
    private let storage: SafeTensorsByteStorage
    private let tensorIndex: [String: Int]

    public convenience init(contentsOf url: URL) throws(GGUFError) {
        let storage: SafeTensorsByteStorage
        do { storage = try SafeTensorsByteStorage(mappingFileAt: url.path) } catch {
            throw .unreadable(file: url.path, reason: Self.reason(error))
        }
        try self.init(storage: storage, path: url.path)
    }

    /// Reads a GGUF file held in memory (the tests' mutated files); `name` stands in for the path.
    public convenience init(bytes: [UInt8], name: String) throws(GGUFError) {
        try self.init(storage: SafeTensorsByteStorage(copying: bytes), path: name)
    }

    private init(storage: SafeTensorsByteStorage, path: String) throws(GGUFError) {
        self.storage = storage
        self.path = path
        var cursor = GGUFByteCursor(bytes: storage.bytes, file: path)

        let magic = try cursor.read(UInt32.self, "the header")
        guard magic == 0x4655_4747 else { throw .badMagic(file: path) }  // "GGUF" read as little-endian
        version = try cursor.read(UInt32.self, "the header")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(file: path, version: version) }
        let tensorCount = try cursor.read(UInt64.self, "the header")
        let keyCount = try cursor.read(UInt64.self, "the header")
        // Neither count allocates anything up front; a count no file of this size could hold
        // is called corruption, a plausible one in a file that ends too soon truncation.
        try cursor.checkCount(keyCount, minimumByteCount: 1, "the metadata key count")
        try cursor.checkCount(tensorCount, minimumByteCount: 1, "the tensor count")

        var keys: [String] = [], metadata: [String: GGUFValue] = [:]
        for index in 0..<Int(keyCount) {
            let key = try cursor.readString("the key of metadata entry \(index)")
            let code = try cursor.read(UInt32.self, "the type of key '\(key)'")
            let value = try Self.readValue(typeCode: code, key: key, depth: 0, cursor: &cursor)
            guard metadata.updateValue(value, forKey: key) == nil else { throw .duplicateKey(file: path, key: key) }
            keys.append(key)
        }
        self.keys = keys
        self.metadata = metadata

        if let value = metadata["general.alignment"] {
            guard case .uint32(let alignment) = value, alignment > 0, alignment & (alignment - 1) == 0 else {
                throw .invalidAlignment(file: path, value: "\(value)")
            }
            self.alignment = Int(alignment)
        } else {
            alignment = Self.defaultAlignment
        }

        var infos: [TensorInfo] = [], index: [String: Int] = [:]
        var rawOffsets: [UInt64] = []
        for position in 0..<Int(tensorCount) {
            let name = try cursor.readString("the name of tensor \(position)")
            let dimensionCount = try cursor.read(UInt32.self, "the info of tensor '\(name)'")
            guard (1...Self.maximumDimensions).contains(dimensionCount) else {
                throw .tooManyDimensions(file: path, tensor: name, count: dimensionCount)
            }
            var dimensions: [UInt64] = []
            for _ in 0..<dimensionCount { dimensions.append(try cursor.read(UInt64.self, "the info of tensor '\(name)'")) }
            let typeCode = try cursor.read(UInt32.self, "the info of tensor '\(name)'")
            let offset = try cursor.read(UInt64.self, "the info of tensor '\(name)'")
            guard let type = GGMLType(rawValue: typeCode) else {
                throw .unknownTensorType(file: path, tensor: name, type: typeCode)
            }
            let byteCount = try Self.size(of: dimensions, type: type, tensor: name, file: path)
            guard index.updateValue(infos.count, forKey: name) == nil else { throw .duplicateTensor(file: path, tensor: name) }
            infos.append(TensorInfo(name: name, dimensions: dimensions.map { Int($0) }, type: type,
                                    dataOffset: Int(clamping: offset), byteCount: byteCount))
            rawOffsets.append(offset)
        }

        // The data section starts at the next multiple of the alignment after the tensor infos
        // (which may lie past the end of a file that has no tensor data).
        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        self.dataStart = min(dataStart, storage.bytes.count)
        let dataByteCount = max(0, storage.bytes.count - dataStart)
        for (info, offset) in zip(infos, rawOffsets) {
            guard offset % UInt64(alignment) == 0 else {
                throw .misalignedOffset(file: path, tensor: info.name, offset: offset, alignment: alignment)
            }
            guard offset <= UInt64(dataByteCount), info.byteCount <= dataByteCount - Int(offset) else {
                throw .tensorPastEnd(file: path, tensor: info.name, offset: offset, byteCount: info.byteCount,
                                     dataByteCount: dataByteCount)
            }
        }
        let byStart = infos.indices.sorted { infos[$0].dataOffset < infos[$1].dataOffset }
        for (earlier, later) in zip(byStart, byStart.dropFirst())
        where infos[earlier].dataOffset + infos[earlier].byteCount > infos[later].dataOffset {
            throw .overlappingTensors(file: path, tensor: infos[later].name, other: infos[earlier].name)
        }
        tensors = infos
        tensorIndex = index
    }

    /// A value of type `typeCode`; arrays recurse up to `maximumArrayNesting` levels.
    private static func readValue(
        typeCode: UInt32, key: String, depth: Int, cursor: inout GGUFByteCursor
    ) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValue.TypeCode(rawValue: typeCode) else {
            throw .unknownValueType(file: cursor.file, key: key, type: typeCode)
        }
        let region = "the value of key '\(key)'"
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, region))
        case .int8: return .int8(try cursor.read(Int8.self, region))
        case .uint16: return .uint16(try cursor.read(UInt16.self, region))
        case .int16: return .int16(try cursor.read(Int16.self, region))
        case .uint32: return .uint32(try cursor.read(UInt32.self, region))
        case .int32: return .int32(try cursor.read(Int32.self, region))
        case .uint64: return .uint64(try cursor.read(UInt64.self, region))
        case .int64: return .int64(try cursor.read(Int64.self, region))
        case .float32: return .float32(Float(bitPattern: try cursor.read(UInt32.self, region)))
        case .float64: return .float64(Double(bitPattern: try cursor.read(UInt64.self, region)))
        case .bool: return .bool(try cursor.read(UInt8.self, region) != 0)
        case .string: return .string(try cursor.readString(region))
        case .array:
            guard depth < maximumArrayNesting else {
                throw .nestingTooDeep(file: cursor.file, key: key, limit: maximumArrayNesting)
            }
            let elementCode = try cursor.read(UInt32.self, region)
            guard let elementType = GGUFValue.TypeCode(rawValue: elementCode) else {
                throw .unknownValueType(file: cursor.file, key: key, type: elementCode)
            }
            let count = try cursor.read(UInt64.self, region)
            try cursor.checkCount(count, minimumByteCount: elementType.minimumByteCount, "the array length of key '\(key)'")
            cursor.metadataValueCount += count
            guard cursor.metadataValueCount <= maximumMetadataValues else {
                throw .tooManyMetadataValues(file: cursor.file, key: key, limit: maximumMetadataValues)
            }
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                elements.append(try readValue(typeCode: elementCode, key: key, depth: depth + 1, cursor: &cursor))
            }
            return .array(elements)
        }
    }

    /// The data size of a tensor, refusing products that overflow and rows
    /// that are not whole blocks.
    private static func size(
        of dimensions: [UInt64], type: GGMLType, tensor: String, file: String
    ) throws(GGUFError) -> Int {
        var elements = 1
        for dimension in dimensions {
            guard let value = Int(exactly: dimension) else {
                throw .dimensionsOverflow(file: file, tensor: tensor, dimensions: dimensions)
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: value)
            guard !overflow else { throw .dimensionsOverflow(file: file, tensor: tensor, dimensions: dimensions) }
            elements = product
        }
        let rowLength = Int(dimensions[0])
        guard rowLength % type.blockSize == 0 else {
            throw .rowNotBlockMultiple(file: file, tensor: tensor, type: type.name, rowLength: rowLength,
                                       blockSize: type.blockSize)
        }
        let (bytes, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.blockByteCount)
        guard !overflow else { throw .dimensionsOverflow(file: file, tensor: tensor, dimensions: dimensions) }
        return bytes
    }

    private static func reason(_ error: SafeTensorsError) -> String {
        switch error {
        case .fileSystemFailure(_, let operation, let reason): "\(operation) failed: \(reason)"
        default: "\(error)"
        }
    }

    public func tensor(named name: String) -> TensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The raw bytes of a tensor's data, a view into the mapping valid while the file lives.
    public func data(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        let start = dataStart + tensor.dataOffset
        return UnsafeRawBufferPointer(rebasing: storage.bytes[start..<start + tensor.byteCount])
    }
}
