import Foundation

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes Float32 tensors in the safetensors format.
///
/// Tensors are laid out in the order given, with contiguous offsets. The header lists
/// `__metadata__` first (keys sorted), then the tensors in layout order, each with `dtype`,
/// `shape`, `data_offsets`, so equal input always gives identical bytes. The header is padded
/// with spaces so the data section starts 8-byte aligned.
public enum SafeTensorsWriter {
    /// A named Float32 tensor to write.
    public struct Tensor {
        public let name: String
        public let shape: [Int]
        private let values: Values

        private enum Values {
            case borrowed(UnsafeBufferPointer<Float>)
            case owned([Float])
        }

        /// Borrows `values` without copying, e.g. a slice of one large parameter buffer;
        /// the memory must stay valid until `serialize` or `write` returns.
        public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            self.values = .borrowed(values)
        }

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = .owned(values)
        }

        var valueCount: Int {
            switch values {
            case .borrowed(let buffer): buffer.count
            case .owned(let array): array.count
            }
        }

        /// Calls `body` with the values as little-endian bytes, as the format stores them.
        func withLittleEndianBytes(
            _ body: (UnsafeRawBufferPointer) throws(SafeTensorsError) -> Void
        ) throws(SafeTensorsError) {
            switch values {
            case .borrowed(let buffer):
                try Self.withLittleEndianBytes(of: buffer, body)
            case .owned(let array):
                try array.withUnsafeBufferPointer { buffer throws(SafeTensorsError) in
                    try Self.withLittleEndianBytes(of: buffer, body)
                }
            }
        }

        private static func withLittleEndianBytes(
            of buffer: UnsafeBufferPointer<Float>, _ body: (UnsafeRawBufferPointer) throws(SafeTensorsError) -> Void
        ) throws(SafeTensorsError) {
            #if _endian(big)
                let swapped = buffer.map { $0.bitPattern.littleEndian }
                try swapped.withUnsafeBufferPointer { words throws(SafeTensorsError) in
                    try body(UnsafeRawBufferPointer(words))
                }
            #else
                try body(UnsafeRawBufferPointer(buffer))
            #endif
        }
    }

    /// The complete file for `tensors` and `metadata`, in memory.
    public static func serialize(
        _ tensors: [Tensor], metadata: [String: String]? = nil
    ) throws(SafeTensorsError) -> [UInt8] {
        let layout = try Layout(tensors: tensors, metadata: metadata)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(layout.fileByteCount)
        try emit(tensors, layout: layout) { chunk throws(SafeTensorsError) in
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }

    /// Writes the file for `tensors` and `metadata` to `url` crash-safely (see `DurableFile`),
    /// straight from the callers' buffers without an in-memory copy of the file.
    public static func write(
        _ tensors: [Tensor], metadata: [String: String]? = nil, to url: URL
    ) throws(SafeTensorsError) {
        let layout = try Layout(tensors: tensors, metadata: metadata)
        do {
            try DurableFile.write(to: url) { sink in
                try emit(tensors, layout: layout) { chunk throws(SafeTensorsError) in
                    do { try sink(chunk) } catch let error as FileSystemError {
                        throw .fileSystemFailure(path: error.path, operation: error.operation, reason: error.reason)
                    } catch { throw .fileSystemFailure(path: url.path, operation: "write", reason: "\(error)") }
                }
            }
        } catch let error as SafeTensorsError {
            throw error
        } catch let error as FileSystemError {
            throw .fileSystemFailure(path: error.path, operation: error.operation, reason: error.reason)
        } catch {
            throw .fileSystemFailure(path: url.path, operation: "write", reason: "\(error)")
        }
    }

    /// The header and sizes for a set of tensors, checked before anything is written.
    private struct Layout {
        /// The JSON header padded with spaces, without the length prefix.
        let header: [UInt8]
        let fileByteCount: Int

        init(tensors: [Tensor], metadata: [String: String]?) throws(SafeTensorsError) {
            var header = Array("{".utf8)
            if let metadata {
                header += Array("\"__metadata__\":{".utf8)
                for (index, entry) in metadata.sorted(by: { $0.key < $1.key }).enumerated() {
                    if index > 0 { header.append(UInt8(ascii: ",")) }
                    Self.appendJSONString(entry.key, to: &header)
                    header.append(UInt8(ascii: ":"))
                    Self.appendJSONString(entry.value, to: &header)
                }
                header.append(UInt8(ascii: "}"))
            }
            var hasPreviousEntry = metadata != nil
            var names: Set<String> = []
            // Cannot overflow: each tensor's values exist in memory, so their total byte size fits in Int.
            var offset = 0
            for tensor in tensors {
                guard tensor.name != "__metadata__" else { throw .reservedTensorName(tensor.name) }
                guard names.insert(tensor.name).inserted else { throw .duplicateTensorName(tensor.name) }
                let elementCount = try Self.elementCount(of: tensor)
                guard tensor.valueCount == elementCount else {
                    throw .elementCountMismatch(
                        tensor: tensor.name, shape: tensor.shape, elementCount: elementCount,
                        valueCount: tensor.valueCount)
                }
                let end = offset + elementCount * MemoryLayout<Float>.size
                if hasPreviousEntry { header.append(UInt8(ascii: ",")) }
                hasPreviousEntry = true
                Self.appendJSONString(tensor.name, to: &header)
                let shape = tensor.shape.map(String.init).joined(separator: ",")
                header += Array(":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}".utf8)
                offset = end
            }
            header.append(UInt8(ascii: "}"))

            // 8 + header is a multiple of 8 exactly when the header is.
            let paddedCount = (header.count + 7) / 8 * 8
            header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: paddedCount - header.count))
            guard header.count <= SafeTensorsFile.maximumHeaderByteCount else {
                throw .serializedHeaderTooLarge(byteCount: header.count)
            }
            self.header = header
            fileByteCount = 8 + header.count + offset
        }

        /// The product of the tensor's dimensions; rejects negative dimensions and products
        /// whose byte size would not fit in Int.
        private static func elementCount(of tensor: Tensor) throws(SafeTensorsError) -> Int {
            var count = 1
            for dimension in tensor.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard dimension >= 0, !overflow else { throw .invalidShape(tensor: tensor.name, shape: tensor.shape) }
                count = product
            }
            guard count <= Int.max / MemoryLayout<Float>.size else {
                throw .invalidShape(tensor: tensor.name, shape: tensor.shape)
            }
            return count
        }

        /// Appends `text` as a JSON string literal, escaped the way serde_json (the reference
        /// implementation) does, so headers match byte for byte. Only ASCII needs escaping, and
        /// UTF-8 never uses ASCII byte values inside multi-byte characters, so bytes are scanned
        /// directly and unescaped runs copied in bulk.
        private static func appendJSONString(_ text: String, to json: inout [UInt8]) {
            var text = text
            json.append(UInt8(ascii: "\""))
            text.withUTF8 { utf8 in
                var runStart = 0
                for index in utf8.indices {
                    let byte = utf8[index]
                    guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                    json.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                    json += escapeSequence(for: byte)
                    runStart = index + 1
                }
                json.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            }
            json.append(UInt8(ascii: "\""))
        }

        private static func escapeSequence(for byte: UInt8) -> [UInt8] {
            switch byte {
            case 0x08: Array("\\b".utf8)
            case 0x0C: Array("\\f".utf8)
            case 0x0A: Array("\\n".utf8)
            case 0x0D: Array("\\r".utf8)
            case 0x09: Array("\\t".utf8)
            case 0x00..<0x20:
                Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            default:
                [UInt8(ascii: "\\"), byte]
            }
        }

        private static let hexDigits = Array("0123456789abcdef".utf8)
    }

    /// Passes the file's bytes to `sink` in order: length prefix, header, tensor data.
    private static func emit(
        _ tensors: [Tensor], layout: Layout, to sink: (UnsafeRawBufferPointer) throws(SafeTensorsError) -> Void
    ) throws(SafeTensorsError) {
        let headerLength = UInt64(layout.header.count).littleEndian
        try withUnsafeBytes(of: headerLength) { prefix throws(SafeTensorsError) in try sink(prefix) }
        try layout.header.withUnsafeBufferPointer { header throws(SafeTensorsError) in
            try sink(UnsafeRawBufferPointer(header))
        }
        for tensor in tensors {
            try tensor.withLittleEndianBytes(sink)
        }
    }
}
