import Foundation
@testable import Model
import XCTest

/// The GGUF writer against the project's reader: every metadata type, arrays of strings,
/// integers and floats (nested too), and tensors of several types at aligned offsets.
final class GGUFWriterTests: XCTestCase {
    func testWrittenMetadataAndTensorsReadBack() throws {
        let metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string("llama")), ("test.u8", .uint8(200)), ("test.i8", .int8(-2)),
            ("test.u16", .uint16(60000)), ("test.i16", .int16(-3)), ("test.u32", .uint32(4_000_000_000)),
            ("test.i32", .int32(-7)), ("test.u64", .uint64(1 << 40)), ("test.i64", .int64(-1 << 40)),
            ("test.f32", .float32(1.5)), ("test.f64", .float64(0.25)), ("test.bool", .bool(true)),
            ("test.unicode", .string("βγ ▁Ġ")), ("test.strings", .array([.string("a"), .string(""), .string("ö")])),
            ("test.ints", .array([.int32(1), .int32(-2), .int32(3)])), ("test.floats", .array([.float32(0.5), .float32(-1)])),
            ("test.nested", .array([.array([.uint8(1)]), .array([.uint8(2), .uint8(3)])])), ("test.empty", .array([])),
        ]
        var generator = SeededGenerator(seed: 3)
        let values = (0..<3 * 64).map { _ in generator.nextGaussian() }
        let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q5_0]
        var tensors = types.map { type in
            GGUFWriter.Tensor(name: "t.\(type.name)", dimensions: [64, 3], type: type) {
                values.withUnsafeBufferPointer { GGUFQuantize.encode($0, rowLength: 64, as: type) }
            }
        }
        let wide = (0..<512).map { Float($0) / 100 - 2 }
        for type in [GGMLType.q4_K, .q6_K] {
            tensors.append(GGUFWriter.Tensor(name: "t.\(type.name)", dimensions: [256, 2], type: type) {
                wide.withUnsafeBufferPointer { GGUFQuantize.encode($0, rowLength: 256, as: type) }
            })
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-gguf-writer-\(UUID().uuidString).gguf")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try GGUFWriter(metadata: metadata, tensors: tensors).write(to: url)

        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.keys, metadata.map(\.key) + ["general.alignment"])
        for (key, value) in metadata { XCTAssertEqual(file.metadata[key], value, key) }
        XCTAssertEqual(file.metadata["general.alignment"], .uint32(32))
        XCTAssertEqual(file.tensors.map(\.name), tensors.map(\.name))
        for tensor in file.tensors {
            XCTAssertEqual(tensor.dataOffset % 32, 0, tensor.name)
            XCTAssertEqual((file.dataStart + tensor.dataOffset) % 32, 0, tensor.name)
            let source = tensor.type.blockSize == 256 ? wide : values
            var expected = [Float](repeating: 0, count: source.count)
            source.withUnsafeBufferPointer { input in
                expected.withUnsafeMutableBufferPointer { output in
                    GGUFQuantize.roundTrip(input.baseAddress!, count: source.count, rowLength: tensor.dimensions[0], as: tensor.type,
                                           into: output.baseAddress!)
                }
            }
            XCTAssertEqual(try file.floats(of: tensor), expected, tensor.name)
        }
        XCTAssertEqual(try file.floats(of: try XCTUnwrap(file.tensor(named: "t.F32"))), values, "F32 is stored exactly")
    }
}
