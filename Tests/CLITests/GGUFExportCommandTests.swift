import Foundation
import Model
import XCTest

/// `lethe export --format gguf` through the real executable, on a store of the embedded model.
final class GGUFExportCommandTests: XCTestCase {
    func testExportWritesAGGUFThatLoadsAndRefusesAnUnknownType() throws {
        let directory = try temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path
        let base = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Checkpoints/base").standardized
        let created = try LetheProcess.run(["init", "--store", store, "--model", base.path])
        XCTAssertEqual(created.status, 0, created.standardError)

        let output = directory.appendingPathComponent("model.gguf")
        let exported = try LetheProcess.run(["export", "--store", store, "--format", "gguf", "--type", "q8_0", "--output", output.path])
        XCTAssertEqual(exported.status, 0, exported.standardError)
        let file = try GGUFFile(contentsOf: output)
        XCTAssertEqual(file.metadata["general.architecture"], .string("llama"))
        XCTAssertEqual(file.tensor(named: "blk.0.attn_q.weight")?.type, .q8_0)
        XCTAssertEqual(file.tensor(named: "output_norm.weight")?.type, .f32)
        let original = try Tokenizer(modelFolder: base)
        let rebuilt = try GGUFTokenizerConversion(file)
        XCTAssertEqual(rebuilt.vocabulary.count, original.vocabularySize)
        XCTAssertEqual(file.metadata["tokenizer.ggml.add_bos_token"], .bool(true))

        let unknown = try LetheProcess.run(["export", "--store", store, "--format", "gguf", "--type", "q5_k", "--output", output.path])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.standardError.contains("--type must be one of f32, f16, bf16, q8_0, q4_0, q4_k_m, not 'q5_k'"), unknown.standardError)
        let format = try LetheProcess.run(["export", "--store", store, "--format", "onnx", "--output", output.path])
        XCTAssertNotEqual(format.status, 0)
        XCTAssertTrue(format.standardError.contains("--format must be folder or gguf"), format.standardError)
    }
}
