import Foundation
@testable import Model
import XCTest

/// The tokenizer.json files real models ship (SmolLM2, Llama 2, Llama 3.2, Qwen2, Mistral)
/// against Hugging Face tokenizers on llama.cpp's vocabulary test texts and Lethe's own.
final class TokenizerRealModelTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-real-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    func testEveryRealTokenizerEncodesAndDecodesEveryTextAsTokenizersDoes() throws {
        for name in RealTokenizerFixtures.names {
            let tokenizer = try RealTokenizerFixtures.tokenizer(name, in: directory)
            let cases = try RealTokenizerFixtures.cases(name)
            XCTAssertGreaterThan(cases.count, 90, name)
            for case_ in cases {
                let text = "\(name): \(case_.text.debugDescription)"
                XCTAssertEqual(tokenizer.encode(case_.text), case_.ids, text)
                XCTAssertEqual(tokenizer.encode(case_.text, addSpecialTokens: true), case_.ids_with_special_tokens, text)
                XCTAssertEqual(try tokenizer.decode(case_.ids), case_.decoded, text)
                XCTAssertEqual(try tokenizer.decode(case_.ids_with_special_tokens), case_.decoded_with_special_tokens, text)
                XCTAssertEqual(try tokenizer.decode(case_.ids_with_special_tokens, skipSpecialTokens: true), case_.decoded_skipping_special, text)
            }
        }
    }

    /// SmolLM2's vocabulary lacks the byte tokens of most C0 controls ("Ą" stands for 0x04):
    /// with no unk_token, tokenizers drops those characters, and so does Lethe.
    func testAByteWithoutATokenIsDroppedWhenThereIsNoUnknownToken() throws {
        let tokenizer = try RealTokenizerFixtures.tokenizer("smollm2", in: directory)
        XCTAssertNil(tokenizer.id(for: "Ą"))
        XCTAssertEqual(tokenizer.encode("Hello\u{4}"), tokenizer.encode("Hello"))
        XCTAssertEqual(tokenizer.encode("\u{4}"), [])
    }

    /// Llama 2 spells a character outside its vocabulary as byte tokens: "<0xNN>".
    func testSentencePieceFallsBackOnByteTokensAndDecodesThemBack() throws {
        let tokenizer = try RealTokenizerFixtures.tokenizer("llama2", in: directory)
        let ids = tokenizer.encode("𝔸")
        XCTAssertEqual(ids.dropFirst().map { tokenizer.token(for: $0) }, ["<0xF0>", "<0x9D>", "<0x94>", "<0xB8>"])
        XCTAssertEqual(tokenizer.bytes(for: ids[1]), [0xF0])
        XCTAssertEqual(try tokenizer.decode(ids), "𝔸")
        XCTAssertEqual(tokenizer.bytes(for: tokenizer.id(for: "▁the")!), Array(" the".utf8))
    }
}
