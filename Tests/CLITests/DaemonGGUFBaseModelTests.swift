import Foundation
import XCTest

/// The daemon's base_model may be a GGUF file: a missing store is initialised from it.
final class DaemonGGUFBaseModelTests: XCTestCase {
    func testTheDaemonInitialisesItsStoreFromAGGUFBaseModel() throws {
        let gguf = Fixture.llama.appendingPathComponent("../gguf/tiny_gpt2/model.gguf").standardized
        let daemon = try DaemonHarness(overrides: [:])
        daemon.configuration["base_model"] = gguf.path
        try daemon.writeConfiguration()
        try daemon.start()
        defer { daemon.stop() }
        XCTAssertTrue(daemon.wait { daemon.status?.state == .idle }, "the daemon did not become idle; log:\n\(daemon.log.suffix(3000))")
        let store = try daemon.store()
        XCTAssertEqual(try store.head(), 0)
        XCTAssertEqual(try store.config().vocabSize, 400)
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.layout.modelFiles.appendingPathComponent("tokenizer.json").path))
        XCTAssertTrue(try store.registry.version(0)?.note.contains(gguf.path) ?? false)
    }
}
