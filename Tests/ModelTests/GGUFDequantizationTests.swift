import Foundation
import Model
import XCTest

/// Each ggml type Lethe reads, against gguf's own `gguf.quants.dequantize` of the same bytes.
final class GGUFDequantizationTests: XCTestCase {
    func testEveryTypeDequantizesAsGGUFDoes() throws {
        let expected = try GGUFFixtures.safeTensors("quants/expected.safetensors.zst")
        for type in GGUFFile.dequantizableTypes {
            let file = try GGUFFile(contentsOf: GGUFFixtures.url("quants/\(type.name).gguf"))
            XCTAssertGreaterThanOrEqual(file.tensors.count, 4, type.name)
            for tensor in file.tensors {
                XCTAssertEqual(tensor.type, type, "\(type.name)/\(tensor.name)")
                let reference = try expected.floats("\(type.name)/\(tensor.name)")
                XCTAssertEqual(expected.info("\(type.name)/\(tensor.name)")?.shape, tensor.shape)
                let values = try file.floats(of: tensor)
                XCTAssertEqual(values.count, reference.count)
                // Both sides compute d·q (+ m) in Float32 from the same bits: only a fused
                // multiply-add could move the last bit, so the tolerance is a few ulps.
                var worst: Float = 0
                for (value, want) in zip(values, reference) {
                    worst = max(worst, abs(value - want) / max(1, abs(want)))
                }
                XCTAssertLessThanOrEqual(worst, 1e-6, "\(type.name)/\(tensor.name): max relative difference \(worst)")
                XCTAssertTrue(reference.contains { $0 != 0 }, "\(type.name)/\(tensor.name) is not all zeros")
            }
        }
    }

    func testATypeWithoutADequantizerIsRefusedByName() throws {
        // The reader sizes every ggml type; converting one Lethe cannot decode names tensor and type.
        var built = GGUFTestFile()
        built.tensors = [.init(name: "a", dimensions: [64, 2], type: 20, offset: nil, data: Array(repeating: 0, count: 4 * 18))]
        let file = try GGUFFile(bytes: built.build().bytes, name: "q.gguf")
        XCTAssertEqual(file.tensors[0].type, .iq4_NL)
        XCTAssertEqual(file.tensors[0].byteCount, 4 * 18)
        XCTAssertThrowsError(try file.floats(of: file.tensors[0])) { error in
            XCTAssertEqual(error as? GGUFError, .unsupportedTensorType(file: "q.gguf", tensor: "a", type: "IQ4_NL"))
            XCTAssertTrue("\(error)".contains("'a'"))
        }
    }
}
