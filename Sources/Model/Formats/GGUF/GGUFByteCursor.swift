/// Reads little-endian fields front to back from a GGUF file's bytes. Every read checks that
/// the bytes are there; `region` names what is being read, for the truncation error.
struct GGUFByteCursor {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset = 0
    /// Metadata values read so far, array elements included (see `GGUFFile.maximumMetadataValues`).
    var metadataValueCount: UInt64 = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ region: @autoclosure () -> String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(file: file, region: region()) }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    /// A GGUF string: a uint64 byte length, then that many bytes of UTF-8.
    mutating func readString(_ region: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try read(UInt64.self, region())
        try checkCount(length, minimumByteCount: 1, "the length of \(region())")
        guard length <= UInt64(remaining) else { throw .truncated(file: file, region: region()) }
        let start = offset
        offset += Int(length)
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
        guard let text = String(validating: utf8.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw .invalidUTF8(file: file, what: region())
        }
        return text
    }

    /// Checks that `count` items of at least `minimumByteCount` bytes each could fit in the
    /// file at all: a count past that is corruption, and refused before anything is allocated
    /// for it. A plausible count in a file that ends too soon is reported as truncation later.
    func checkCount(_ count: UInt64, minimumByteCount: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard count <= UInt64(bytes.count / max(1, minimumByteCount)) else {
            throw .countTooLarge(file: file, what: what(), count: count)
        }
    }
}
