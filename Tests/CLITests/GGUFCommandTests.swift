import Foundation
import Model
import XCTest

/// `lethe convert`, `lethe init` and `--model` given a GGUF file, through the real executable.
final class GGUFCommandTests: XCTestCase {
    private let gguf = Fixture.llama.appendingPathComponent("../gguf/tiny_spm/model.gguf").standardized

    func testConvertWritesAFolderWithTheTokenizerFilesAndTheConvertedWeights() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try LetheProcess.run(["convert", "--model", gguf.path, "--out", out.path])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("from a llama GGUF"), result.standardOutput)
        for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let converted = try ModelFolder.load(out)
        let direct = try GGUFModelConversion(GGUFFile(contentsOf: gguf)).loadLlama()
        XCTAssertTrue(zip(converted.parameters, direct.parameters).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    func testInitCreatesAStoreFromAGGUFFileAndLeavesNoTemporaryFolder() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store")
        let leftovers = { try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("lethe-gguf-") } }
        let before = Set(try leftovers())
        let result = try LetheProcess.run(["init", "--store", store.path, "--model", gguf.path])
        XCTAssertEqual(result.status, 0, result.standardError)
        for file in ["config.json", "tokenizer.json", "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: store.appendingPathComponent("model/\(file)").path), file)
        }
        XCTAssertEqual(Set(try leftovers()).subtracting(before), [])
        // Version 0 records the GGUF file it came from, not the temporary folder.
        let history = try LetheProcess.run(["history", "--store", store.path])
        XCTAssertTrue(history.standardOutput.contains(gguf.path), history.standardOutput)
    }

    func testAGGUFFileServesAsAModelAndItsConversionIsRemovedAfterwards() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        XCTAssertEqual(try LetheProcess.run(["convert", "--model", gguf.path, "--out", out.path]).status, 0)
        let leftovers = { try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("lethe-gguf-") } }
        let before = Set(try leftovers())
        let arguments = ["generate", "--prompt", "hello", "--max-new-tokens", "6", "--json"]
        let fromFile = try LetheProcess.json(arguments + ["--model", gguf.path])
        let fromFolder = try LetheProcess.json(arguments + ["--model", out.path])
        XCTAssertEqual(fromFile["tokens"] as? [Int], fromFolder["tokens"] as? [Int])
        XCTAssertEqual(fromFile["prompt_tokens"] as? Int, fromFolder["prompt_tokens"] as? Int)
        XCTAssertEqual(Set(try leftovers()).subtracting(before), [])
    }

    func testAMalformedGGUFIsRefusedWithItsError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let truncated = directory.appendingPathComponent("cut.gguf")
        try Data(try Data(contentsOf: gguf).prefix(200)).write(to: truncated)
        let result = try LetheProcess.run(["convert", "--model", truncated.path, "--out", directory.appendingPathComponent("out").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("cut.gguf is truncated"), result.standardError)
    }
}
