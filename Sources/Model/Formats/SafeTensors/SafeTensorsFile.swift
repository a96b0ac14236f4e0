import Foundation

/// A validated safetensors file whose tensors are read on demand.
///
/// Opening a file memory-maps it, so only the pages of tensors actually read are loaded.
/// Instances are immutable and safe to share across threads.
public final class SafeTensorsFile: @unchecked Sendable {  // immutable after init
    /// The largest header accepted, as in the reference implementation; it bounds the memory
    /// a corrupt or hostile length prefix can make the reader touch.
    public static let maximumHeaderByteCount = 100_000_000

    /// The header's `__metadata__` map; empty when the file has none.
    public let metadata: [String: String]
    /// All tensors, in the order of their data offsets.
    public let tensors: [SafeTensorsTensorInfo]

    /// Names the file in errors; nil for in-memory bytes.
    private let file: String?
    /// Keeps the mapped or copied bytes alive; `dataSection` points into them.
    private let storage: SafeTensorsByteStorage
    private let dataSection: UnsafeRawBufferPointer
    private let tensorIndexByName: [String: Int]

    /// Maps the file at `url` and validates its header and layout.
    public convenience init(contentsOf url: URL) throws(SafeTensorsError) {
        let path = url.path
        try self.init(storage: SafeTensorsByteStorage(mappingFileAt: path), file: path)
    }

    /// Validates `bytes`, a complete safetensors file held in memory.
    public convenience init(bytes: [UInt8]) throws(SafeTensorsError) {
        try self.init(storage: SafeTensorsByteStorage(copying: bytes), file: nil)
    }

    private init(storage: SafeTensorsByteStorage, file: String?) throws(SafeTensorsError) {
        let header = try SafeTensorsHeader(validating: storage.bytes, file: file)
        self.storage = storage
        self.file = file
        metadata = header.metadata
        tensors = header.tensors
        dataSection = UnsafeRawBufferPointer(rebasing: storage.bytes[header.dataSectionOffset...])
        tensorIndexByName = Dictionary(
            uniqueKeysWithValues: header.tensors.enumerated().map { ($0.element.name, $0.offset) })
    }

    /// The tensor called `name`, or nil if the file has none.
    public func info(_ name: String) -> SafeTensorsTensorInfo? {
        tensorIndexByName[name].map { tensors[$0] }
    }

    /// The dtypes `readFloats(_:into:)` converts.
    public static let floatConvertibleDTypes: [SafeTensorsDType] = [.f32, .f16, .bf16]

    /// Converts the F32, F16 or BF16 tensor `name` to Float into `destination`, which must
    /// hold exactly its element count. Writing into caller-owned memory lets a model load
    /// each tensor straight into its slice of one parameter buffer.
    public func readFloats(
        _ name: String, into destination: UnsafeMutableBufferPointer<Float>
    ) throws(SafeTensorsError) {
        let tensor = try requireTensor(name)
        guard Self.floatConvertibleDTypes.contains(tensor.dtype) else {
            throw .unsupportedConversion(
                file: file, tensor: name, dtype: tensor.dtype, target: "Float", supported: Self.floatConvertibleDTypes)
        }
        guard destination.count == tensor.elementCount else {
            throw .destinationCountMismatch(
                file: file, tensor: name, elementCount: tensor.elementCount, destinationCount: destination.count)
        }
        let source = bytes(of: tensor)
        // Tensor data can start at any address, so loads are unaligned.
        switch tensor.dtype {
        case .f16:
            for index in destination.indices {
                destination[index] = floatFromHalfBits(Self.littleEndianUInt16(in: source, at: index))
            }
        case .bf16:
            for index in destination.indices {
                destination[index] = floatFromBFloat16Bits(Self.littleEndianUInt16(in: source, at: index))
            }
        default:  // F32, the remaining convertible dtype
            Self.copyLittleEndianElements(from: source, to: UnsafeMutableRawBufferPointer(destination), as: UInt32.self)
        }
    }

    /// The F32, F16 or BF16 tensor `name` converted to Float.
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let elementCount = try requireTensor(name).elementCount
        var values = [Float](repeating: 0, count: elementCount)
        try values.withUnsafeMutableBufferPointer { buffer throws(SafeTensorsError) in
            try readFloats(name, into: buffer)
        }
        return values
    }

    /// The I64 tensor `name`, e.g. token ids.
    public func readInt64s(_ name: String) throws(SafeTensorsError) -> [Int64] {
        let tensor = try requireTensor(name)
        guard tensor.dtype == .i64 else {
            throw .unsupportedConversion(
                file: file, tensor: name, dtype: tensor.dtype, target: "Int64", supported: [.i64])
        }
        var values = [Int64](repeating: 0, count: tensor.elementCount)
        values.withUnsafeMutableBytes { destination in
            Self.copyLittleEndianElements(from: bytes(of: tensor), to: destination, as: UInt64.self)
        }
        return values
    }

    private func requireTensor(_ name: String) throws(SafeTensorsError) -> SafeTensorsTensorInfo {
        guard let tensor = info(name) else { throw .tensorNotFound(file: file, tensor: name) }
        return tensor
    }

    private func bytes(of tensor: SafeTensorsTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: dataSection[tensor.byteRange])
    }

    private static func littleEndianUInt16(in bytes: UnsafeRawBufferPointer, at index: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
    }

    /// Copies little-endian elements of `Element`'s width into native order. Every platform
    /// Swift targets in practice is little-endian, where this is one unaligned-safe memcpy.
    private static func copyLittleEndianElements<Element: FixedWidthInteger>(
        from source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawBufferPointer, as _: Element.Type
    ) {
        destination.copyMemory(from: source)
        #if _endian(big)
            for offset in stride(from: 0, to: destination.count, by: MemoryLayout<Element>.size) {
                let value = destination.loadUnaligned(fromByteOffset: offset, as: Element.self)
                destination.storeBytes(of: value.byteSwapped, toByteOffset: offset, as: Element.self)
            }
        #endif
    }
}
