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

    /// Writes the file for `tensors` and `metadata` to `url` atomically: the bytes go to a
    /// temporary file in the same directory, which is flushed to disk and then renamed over
    /// `url`, so a crash leaves either the old file or the complete new one. Tensor data is
    /// written straight from the callers' buffers without an in-memory copy of the file.
    public static func write(
        _ tensors: [Tensor], metadata: [String: String]? = nil, to url: URL
    ) throws(SafeTensorsError) {
        let layout = try Layout(tensors: tensors, metadata: metadata)
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw .systemCallFailed(path: directory, operation: "create a temporary file in")
        }
        let temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var isDescriptorOpen = true
        var isRenamed = false
        defer {
            if isDescriptorOpen { close(descriptor) }
            if !isRenamed { unlink(temporaryPath) }
        }

        try emit(tensors, layout: layout) { chunk throws(SafeTensorsError) in
            try writeAll(chunk, to: descriptor, path: temporaryPath)
        }
        // mkstemp creates the file readable by its owner only; a checkpoint is ordinary data.
        guard fchmod(descriptor, 0o644) == 0 else {
            throw .systemCallFailed(path: temporaryPath, operation: "set permissions of")
        }
        guard fsync(descriptor) == 0 else { throw .systemCallFailed(path: temporaryPath, operation: "flush") }
        isDescriptorOpen = false
        guard close(descriptor) == 0 else { throw .systemCallFailed(path: temporaryPath, operation: "close") }
        guard rename(temporaryPath, path) == 0 else { throw .systemCallFailed(path: path, operation: "replace") }
        isRenamed = true
        try flushDirectory(directory)
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

    private static func writeAll(
        _ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String
    ) throws(SafeTensorsError) {
        guard let start = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            // Some systems reject single writes above 2 GiB, so large tensors go in chunks.
            let chunkSize = min(bytes.count - offset, 1 << 30)
            let written = systemWrite(descriptor, start + offset, chunkSize)
            if written < 0 {
                if errno == EINTR { continue }
                throw .systemCallFailed(path: path, operation: "write")
            }
            offset += written
        }
    }

    /// Makes the rename itself durable: without flushing the directory, a crash could
    /// leave the directory entry pointing at the old file.
    private static func flushDirectory(_ directory: String) throws(SafeTensorsError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .systemCallFailed(path: directory, operation: "open") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .systemCallFailed(path: directory, operation: "flush") }
    }
}

/// `write(2)`, whose name `SafeTensorsWriter.write` shadows inside the enum.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
        Darwin.write(descriptor, bytes, count)
    #elseif canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
    #elseif canImport(Musl)
        Musl.write(descriptor, bytes, count)
    #endif
}
