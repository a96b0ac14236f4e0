import Foundation
@testable import Model
import XCTest

/// Edge cases, special-token settings, writing and concurrent use.
final class TokenizerTests: XCTestCase {
    func testEmptyTextAndTextOfOnlySpecialTokens() throws {
        let llama = try TokenizerFixtures.tokenizer("llama3_style")
        let bos = try XCTUnwrap(llama.id(for: "<|begin_of_text|>")), eot = try XCTUnwrap(llama.id(for: "<|eot_id|>"))
        XCTAssertEqual(llama.encode(""), [])
        XCTAssertEqual(llama.encode("", addSpecialTokens: true), [bos])
        XCTAssertEqual(llama.encode("<|eot_id|><|begin_of_text|><|eot_id|>"), [eot, bos, eot])
        XCTAssertEqual(try llama.decode([eot, bos, eot]), "<|eot_id|><|begin_of_text|><|eot_id|>")
        XCTAssertEqual(try llama.decode([eot, bos, eot], skipSpecialTokens: true), "")
        XCTAssertEqual(try llama.decode([]), "")
    }

    func testBytesThatAreNotUTF8DecodeToReplacementCharacters() throws {
        let gpt2 = try TokenizerFixtures.tokenizer("gpt2_trained")
        let byteIDs = (0...255).map { gpt2.id(for: ByteLevelAlphabet.token(for: [UInt8($0)]))! }
        XCTAssertEqual(try gpt2.decode([byteIDs[0xFF]]), "\u{FFFD}")
        XCTAssertEqual(try gpt2.decode([0xF0, 0x9F, 0x98].map { byteIDs[$0] }), "\u{FFFD}")
        XCTAssertEqual(try gpt2.decode([0xF0, 0x9F, 0x98, 0x80].map { byteIDs[$0] }), "😀")
        XCTAssertEqual(gpt2.bytes(for: byteIDs[0xF0]), [0xF0])
        XCTAssertEqual(gpt2.bytes(for: gpt2.id(for: "Ġthe")!), Array(" the".utf8))
    }

    func testLookupsAndVocabularySize() throws {
        let qwen = try TokenizerFixtures.tokenizer("qwen2_style")
        // 380 trained tokens, then three special tokens and two normalized added ones.
        XCTAssertEqual(qwen.vocabularySize, 385)
        XCTAssertEqual(qwen.id(for: "<|endoftext|>"), 380)
        XCTAssertEqual(qwen.token(for: 382), "<|im_end|>")
        XCTAssertEqual(qwen.token(for: 384), "café", "a normalized added token shows its NFC form, as tokenizers' id_to_token does")
        XCTAssertEqual(qwen.id(for: "cafe\u{301}"), 384)
        XCTAssertNil(qwen.token(for: 385))
        XCTAssertNil(qwen.token(for: -1))
        XCTAssertNil(qwen.id(for: "not a token"))
        XCTAssertEqual(qwen.id(for: "Ġ"), qwen.encode(" ").first)
    }

    func testModelFolderGivesBOSAndEveryEOSFromBothConfigFiles() throws {
        let folder = TokenizerFixtures.folder("llama3_style")
        let tokenizer = try Tokenizer(modelFolder: folder)
        XCTAssertEqual(tokenizer.bosTokenID, tokenizer.id(for: "<|begin_of_text|>"))
        // tokenizer_config.json names <|eot_id|> (2); config.json lists 1 and 2.
        XCTAssertEqual(tokenizer.eosTokenIDs, [1, 2])
        let bare = try Tokenizer(file: TokenizerFixtures.file("llama3_style"))
        XCTAssertNil(bare.bosTokenID)
        XCTAssertEqual(bare.eosTokenIDs, [])
        let withConfig = try Tokenizer(file: TokenizerFixtures.file("llama3_style"), configFile: folder.appendingPathComponent("tokenizer_config.json"))
        XCTAssertEqual(withConfig.bosTokenID, 0)
        XCTAssertEqual(withConfig.eosTokenIDs, [2])
    }

    /// tokenizer.json's template decides; a file without one (no post-processor, or only
    /// ByteLevel, as the trainer writes) gets `[BOS] $A [EOS]` as add_bos_token and
    /// add_eos_token ask.
    func testConfigFlagsAddBOSAndEOSOnlyWhenTheFileHasNoTemplate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func config(_ fields: [String: Any]) throws -> URL {
            let url = directory.appendingPathComponent("tokenizer_config-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: fields).write(to: url)
            return url
        }
        let both = try config(["bos_token": "<|pad|>", "eos_token": ["content": "<|endoftext|>"], "add_bos_token": true, "add_eos_token": true])
        let gpt2 = try Tokenizer(file: TokenizerFixtures.file("gpt2_trained"), configFile: both)
        let hello = gpt2.encode("hello")
        XCTAssertEqual(gpt2.encode("hello", addSpecialTokens: true), [1] + hello + [0])
        XCTAssertEqual(try Tokenizer(file: TokenizerFixtures.file("gpt2_trained")).encode("hello", addSpecialTokens: true), hello)

        let noBOSToken = try config(["eos_token": "<|endoftext|>", "add_bos_token": true])
        XCTAssertEqual(try Tokenizer(file: TokenizerFixtures.file("gpt2_trained"), configFile: noBOSToken).encode("hello", addSpecialTokens: true),
                       hello, "transformers drops a flag whose token is not set")

        let contrary = try config(["bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "add_bos_token": false, "add_eos_token": true])
        let llama = try Tokenizer(file: TokenizerFixtures.file("llama3_style"), configFile: contrary)
        XCTAssertEqual(llama.encode("hello", addSpecialTokens: true), [0] + llama.encode("hello"), "the file's template wins")
    }

    /// tokenizers wrote these files; Lethe writes them back byte for byte, and a file in the
    /// legacy merges form comes back in the current one with the same encodings.
    func testWritingGivesTokenizersBytesBackAndReloadsToTheSameEncodings() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let texts = try TokenizerFixtures.texts()
        for name in TokenizerFixtures.names {
            let original = try TokenizerFixtures.tokenizer(name)
            let url = directory.appendingPathComponent("\(name).json")
            try original.write(to: url)
            if name != "qwen2_style" {
                XCTAssertEqual(try Data(contentsOf: url), try Data(contentsOf: TokenizerFixtures.file(name)), name)
            }
            let reloaded = try Tokenizer(file: url)
            XCTAssertEqual(reloaded.definition, original.definition, name)
            for text in texts { XCTAssertEqual(reloaded.encode(text, addSpecialTokens: true), original.encode(text, addSpecialTokens: true), name) }
        }
    }

    func testConcurrentEncodingSharesTheCacheSafely() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3_style")
        let texts = try TokenizerFixtures.texts()
        let expected = texts.map { tokenizer.encode($0) }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var byWorker: [Int: [[Int]]] = [:]
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let encoded = (0..<20).flatMap { _ in texts.map { tokenizer.encode($0) } }
            results.lock.withLock { results.byWorker[worker] = encoded }
        }
        XCTAssertEqual(results.byWorker.count, 8)
        for encoded in results.byWorker.values { XCTAssertEqual(encoded, Array((0..<20).map { _ in expected }.joined())) }
    }
}
