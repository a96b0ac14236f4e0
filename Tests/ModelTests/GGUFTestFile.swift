import Foundation

/// Builds small GGUF files byte by byte, so that the reader's tests can write valid files and
/// break them in exactly one place. `build()` also returns where each region starts.
struct GGUFTestFile {
    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var type: UInt32
        /// Data offset; nil places the tensor after the previous one, aligned.
        var offset: UInt64?
        var data: [UInt8]
    }

    var magic = Array("GGUF".utf8)
    var version: UInt32 = 3
    var tensorCount: UInt64?
    var metadata: [(key: String, type: UInt32, value: [UInt8])] = []
    var tensors: [Tensor] = []
    var alignment = 32

    /// A file with one metadata key of every scalar type, a string, an array and a nested
    /// array, and three F32 tensors.
    static func valid() -> GGUFTestFile {
        var file = GGUFTestFile()
        file.metadata = [
            ("general.architecture", 8, string("llama")),
            ("test.u8", 0, [200]), ("test.i8", 1, [0xFE]), ("test.u16", 2, le(UInt16(60000))),
            ("test.i16", 3, le(Int16(-2))), ("test.u32", 4, le(UInt32(4_000_000_000))), ("test.i32", 5, le(Int32(-7))),
            ("test.f32", 6, le(Float(1.5).bitPattern)), ("test.bool", 7, [1]), ("test.u64", 10, le(UInt64(1) << 40)),
            ("test.i64", 11, le(Int64(-1) << 40)), ("test.f64", 12, le(Double(0.25).bitPattern)),
            ("test.strings", 9, le(UInt32(8)) + le(UInt64(2)) + string("a") + string("βγ")),
            ("test.nested", 9, le(UInt32(9)) + le(UInt64(2))
                + le(UInt32(5)) + le(UInt64(2)) + le(Int32(1)) + le(Int32(2))
                + le(UInt32(5)) + le(UInt64(1)) + le(Int32(3))),
        ]
        file.tensors = [
            Tensor(name: "first", dimensions: [4, 2], type: 0, offset: nil, data: floats((0..<8).map(Float.init))),
            Tensor(name: "second", dimensions: [3], type: 0, offset: nil, data: floats([-1, -2, -3])),
            Tensor(name: "third", dimensions: [8], type: 0, offset: nil, data: floats(Array(repeating: 0.5, count: 8))),
        ]
        return file
    }

    /// The bytes, and the offset where each region starts: "header", "kv.<key>",
    /// "value.<key>", "tensor.<name>", "tensor.<name>.type", "tensor.<name>.offset", "data",
    /// "data.<name>".
    func build() -> (bytes: [UInt8], marks: [String: Int]) {
        var bytes: [UInt8] = [], marks: [String: Int] = ["header": 0]
        bytes += magic + Self.le(version) + Self.le(tensorCount ?? UInt64(tensors.count)) + Self.le(UInt64(metadata.count))
        for entry in metadata {
            marks["kv.\(entry.key)"] = bytes.count
            bytes += Self.string(entry.key) + Self.le(entry.type)
            marks["value.\(entry.key)"] = bytes.count
            bytes += entry.value
        }
        var offsets: [UInt64] = [], next: UInt64 = 0
        for tensor in tensors {
            let offset = tensor.offset ?? next
            offsets.append(offset)
            next = (offset + UInt64(tensor.data.count) + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
        }
        for (tensor, offset) in zip(tensors, offsets) {
            marks["tensor.\(tensor.name)"] = bytes.count
            bytes += Self.string(tensor.name) + Self.le(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { bytes += Self.le(dimension) }
            marks["tensor.\(tensor.name).type"] = bytes.count
            bytes += Self.le(tensor.type)
            marks["tensor.\(tensor.name).offset"] = bytes.count
            bytes += Self.le(offset)
        }
        bytes += Array(repeating: 0, count: (alignment - bytes.count % alignment) % alignment)
        let dataStart = bytes.count
        marks["data"] = dataStart
        for (tensor, offset) in zip(tensors, offsets) {
            let start = dataStart + Int(clamping: offset)
            guard start < dataStart + 1 << 20 else { continue }  // an offset the test placed far away
            if bytes.count < start + tensor.data.count { bytes += Array(repeating: 0, count: start + tensor.data.count - bytes.count) }
            marks["data.\(tensor.name)"] = start
            bytes.replaceSubrange(start..<start + tensor.data.count, with: tensor.data)
        }
        return (bytes, marks)
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }
    static func floats(_ values: [Float]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }
}
