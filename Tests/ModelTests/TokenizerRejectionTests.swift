import Foundation
@testable import Model
import XCTest

/// Every tokenizer.json Lethe cannot encode exactly as tokenizers does is refused, each with
/// its own error naming the file, the field and the value.
final class TokenizerRejectionTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    /// A valid byte-level BPE tokenizer.json: the 256 byte tokens with their byte values as
    /// ids, the merge a + b, one special token.
    private func validDocument() -> [String: Any] {
        var vocabulary: [String: Int] = [:]
        for byte in 0...255 { vocabulary[ByteLevelAlphabet.token(for: [UInt8(byte)])] = byte }
        vocabulary["ab"] = 256
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": [["id": 257, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false,
                              "normalized": false, "special": true]],
            "normalizer": NSNull(), "pre_tokenizer": byteLevel, "post_processor": byteLevel, "decoder": byteLevel,
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocabulary, "merges": [["a", "b"]]],
        ]
    }

    private func write(_ document: [String: Any], as name: String = "tokenizer.json") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]).write(to: url)
        return url
    }

    private func template(single: [[String: Any]], specialTokens: [String: Any]) -> [String: Any] {
        ["type": "TemplateProcessing", "single": single, "pair": [], "special_tokens": specialTokens]
    }

    private static func special(_ name: String) -> [String: Any] { ["SpecialToken": ["id": name, "type_id": 0]] }
    private static func sequence(_ name: String) -> [String: Any] { ["Sequence": ["id": name, "type_id": 0]] }
    private static var endSpecialTokens: [String: Any] { ["<|end|>": ["id": "<|end|>", "ids": [257], "tokens": ["<|end|>"]]] }

    func testTheValidDocumentLoads() throws {
        let tokenizer = try Tokenizer(file: try write(validDocument()))
        XCTAssertEqual(tokenizer.encode("ab<|end|>"), [256, 257])
    }

    enum Expected {
        case unsupported(field: String, value: String)
        case invalid(field: String)
        case missing(field: String)
    }

    func testEachUnsupportedOrMalformedFieldIsRejectedWithItsOwnError() throws {
        let split = { (pattern: [String: Any], behavior: String, invert: Bool) -> [String: Any] in
            ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
            ]]
        }
        let llama3 = ["Regex": SplitPattern.llama3.rawValue]
        let cases: [(String, ([String: Any]) -> [String: Any], Expected)] = [
            ("Unigram model", { $0.setting(["model", "type"], "Unigram") }, .unsupported(field: "model.type", value: "\"Unigram\"")),
            ("WordPiece model", { $0.setting(["model", "type"], "WordPiece") }, .unsupported(field: "model.type", value: "\"WordPiece\"")),
            ("WordLevel model", { $0.setting(["model", "type"], "WordLevel") }, .unsupported(field: "model.type", value: "\"WordLevel\"")),
            ("an unk_token not in the vocabulary", { $0.setting(["model", "unk_token"], "<unk>") }, .invalid(field: "model.unk_token")),
            ("BertNormalizer", { $0.setting(["normalizer"], ["type": "BertNormalizer"]) },
             .unsupported(field: "normalizer.type", value: "\"BertNormalizer\"")),
            ("Precompiled in a sequence", {
                $0.setting(["normalizer"], ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Precompiled"]]])
            }, .unsupported(field: "normalizer.normalizers[1].type", value: "\"Precompiled\"")),
            ("a Replace regex Lethe lacks", {
                $0.setting(["normalizer"], ["type": "Replace", "pattern": ["Regex": "\\p{Han}"], "content": " "])
            }, .unsupported(field: "normalizer.pattern.Regex", value: "\"\\p{Han}\"")),
            ("a pattern of neither kind", {
                $0.setting(["normalizer"], ["type": "Replace", "pattern": ["Glob": "*"], "content": " "])
            }, .invalid(field: "normalizer.pattern")),
            ("a Metaspace replacement of two characters", {
                $0.setting(["pre_tokenizer"], ["type": "Metaspace", "replacement": "__", "prepend_scheme": "always", "split": true])
            }, .invalid(field: "pre_tokenizer.replacement")),
            ("an unknown prepend scheme", {
                $0.setting(["pre_tokenizer"], ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes", "split": true])
            }, .invalid(field: "pre_tokenizer.prepend_scheme")),
            ("an unknown split behavior", { $0.setting(["pre_tokenizer"], split(llama3, "Shuffled", false)) },
             .invalid(field: "pre_tokenizer.pretokenizers[0].behavior")),
            ("subword prefix", { $0.setting(["model", "continuing_subword_prefix"], "##") },
             .unsupported(field: "model.continuing_subword_prefix", value: "\"##\"")),
            ("word suffix", { $0.setting(["model", "end_of_word_suffix"], "</w>") },
             .unsupported(field: "model.end_of_word_suffix", value: "\"</w>\"")),
            ("dropout", { $0.setting(["model", "dropout"], 0.1) }, .unsupported(field: "model.dropout", value: "0.1")),
            ("a gap in the ids", { $0.setting(["model", "vocab", "ab"], 300) }, .invalid(field: "model.vocab.ab")),
            ("an id that is not an integer", { $0.setting(["model", "vocab", "ab"], "256") }, .invalid(field: "model.vocab.ab")),
            ("vocab not an object", { $0.setting(["model", "vocab"], [1, 2]) }, .invalid(field: "model.vocab")),
            ("a merge of unknown tokens", { $0.setting(["model", "merges"], [["a", "b"], ["a", "zz"]]) }, .invalid(field: "model.merges[1]")),
            ("a merge making an unknown token", { $0.setting(["model", "merges"], [["b", "a"]]) }, .invalid(field: "model.merges[0]")),
            ("a merge of three tokens", { $0.setting(["model", "merges"], ["a b c"]) }, .invalid(field: "model.merges[0]")),
            ("a merge that is a number", { $0.setting(["model", "merges"], [5]) }, .invalid(field: "model.merges[0]")),
            ("model missing", { $0.setting(["model"], NSNull()) }, .missing(field: "model")),
            ("Whitespace", { $0.setting(["pre_tokenizer"], ["type": "Whitespace"]) }, .unsupported(field: "pre_tokenizer.type", value: "\"Whitespace\"")),
            ("a split pattern with lookbehind", { $0.setting(["pre_tokenizer"], split(["Regex": "(?<=a)b"], "Isolated", false)) },
             .unsupported(field: "pre_tokenizer.pretokenizers[0].pattern.Regex", value: "\"(?<=a)b\"")),
            ("a step after ByteLevel", {
                $0.setting(["pre_tokenizer"], ["type": "Sequence", "pretokenizers": [
                    ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true], ["type": "Digits", "individual_digits": true],
                ]])
            }, .unsupported(field: "pre_tokenizer.pretokenizers[1].type", value: "\"Digits\"")),
            ("a Strip decoder of two characters", { $0.setting(["decoder"], ["type": "Strip", "content": "ab", "start": 1, "stop": 0]) },
             .invalid(field: "decoder.content")),
            ("WordPiece decoder", { $0.setting(["decoder"], ["type": "WordPiece"]) }, .unsupported(field: "decoder.type", value: "\"WordPiece\"")),
            ("RoBERTa post-processor", { $0.setting(["post_processor"], ["type": "RobertaProcessing"]) },
             .unsupported(field: "post_processor.type", value: "\"RobertaProcessing\"")),
            ("$B in the single template", {
                $0.setting(["post_processor"], self.template(single: [Self.sequence("A"), Self.sequence("B")], specialTokens: [:]))
            }, .unsupported(field: "post_processor.single[1]", value: "$B")),
            ("a template token missing from special_tokens", {
                $0.setting(["post_processor"], self.template(single: [Self.special("<s>"), Self.sequence("A")], specialTokens: [:]))
            }, .invalid(field: "post_processor.single[0].SpecialToken.id")),
            ("a template id outside the vocabulary", {
                $0.setting(["post_processor"], self.template(
                    single: [Self.special("<s>"), Self.sequence("A")],
                    specialTokens: ["<s>": ["id": "<s>", "ids": [999], "tokens": ["<s>"]]]))
            }, .invalid(field: "post_processor.special_tokens.<s>.ids[0]")),
            ("an added token id tokenizers would not give", { $0.setting(["added_tokens"], [["id": 300, "content": "<|end|>", "special": true]]) },
             .invalid(field: "added_tokens[0].id")),
            ("an empty added token", { $0.setting(["added_tokens"], [["id": 257, "content": "", "special": true]]) },
             .invalid(field: "added_tokens[0].content")),
            ("a repeated added token", {
                $0.setting(["added_tokens"], [["id": 257, "content": "<|end|>", "special": true], ["id": 257, "content": "<|end|>", "special": true]])
            }, .invalid(field: "added_tokens[1].content")),
            ("truncation", { $0.setting(["truncation"], ["max_length": 512]) }, .unsupported(field: "truncation", value: "{…}")),
            ("padding", { $0.setting(["padding"], ["pad_id": 0]) }, .unsupported(field: "padding", value: "{…}")),
            ("version 2.0", { $0.setting(["version"], "2.0") }, .unsupported(field: "version", value: "\"2.0\"")),
        ]
        for (name, mutate, expected) in cases {
            let url = try write(mutate(validDocument()))
            XCTAssertThrowsError(try Tokenizer(file: url), name) { error in
                guard let error = error as? TokenizerError else { return XCTFail("\(name): \(error)") }
                switch (error, expected) {
                case (.unsupported(let file, let field, let value, _), .unsupported(let expectedField, let expectedValue)):
                    XCTAssertEqual([file, field, value], [url.path, expectedField, expectedValue], name)
                case (.invalidField(let file, let field, _), .invalid(let expectedField)),
                     (.missingField(let file, let field), .missing(let expectedField)):
                    XCTAssertEqual([file, field], [url.path, expectedField], name)
                default:
                    XCTFail("\(name): \(error)")
                }
                XCTAssertTrue(error.description.contains(url.path), "\(name): \(error)")
            }
        }
    }

    func testAFileThatIsNotJSONOrIsMissingIsRejected() throws {
        let garbage = directory.appendingPathComponent("garbage.json")
        try Data("{\"model\": ".utf8).write(to: garbage)
        XCTAssertThrowsError(try Tokenizer(file: garbage)) { error in
            guard case .invalidJSON(let file, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, garbage.path)
        }
        let missing = directory.appendingPathComponent("missing.json")
        XCTAssertThrowsError(try Tokenizer(file: missing)) { error in
            guard case .unreadable(let file, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, missing.path)
        }
    }

    /// serde_json, which tokenizers reads with, keeps the later of two equal keys; keys that
    /// are only canonically equivalent are two keys.
    func testARepeatedKeyIsReadAsSerdeJSONReadsIt() throws {
        let document = validDocument().setting(["added_tokens"], [])
        // Written by hand: a Swift dictionary would itself merge the two spellings of "ά" (Llama 2 has both).
        let text = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
            .replacingOccurrences(of: #""ab":256"#, with: #""ab":256,"\u03b1\u0301":257,"\u03ac":258"#)
        let laterWins = directory.appendingPathComponent("later.json")
        try Data(("{\"version\": \"2.0\", " + text.dropFirst()).utf8).write(to: laterWins)
        let tokenizer = try Tokenizer(file: laterWins)
        XCTAssertEqual(tokenizer.id(for: "\u{3B1}\u{301}"), 257)
        XCTAssertEqual(tokenizer.id(for: "\u{3AC}"), 258)
        let earlierLoses = directory.appendingPathComponent("earlier.json")
        try Data((text.dropLast() + ", \"version\": \"2.0\"}").utf8).write(to: earlierLoses)
        XCTAssertThrowsError(try Tokenizer(file: earlierLoses)) { error in
            guard case .unsupported(_, "version", "\"2.0\"", _)? = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }

    func testConfigFilesNamingUnknownTokensOrBadIdsAreRejected() throws {
        let file = try write(validDocument())
        let config = try write(["bos_token": ["content": "<s>"]], as: "tokenizer_config.json")
        XCTAssertThrowsError(try Tokenizer(file: file, configFile: config)) { error in
            guard case .invalidField(config.path, "bos_token", let reason)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("\"<s>\""), reason)
        }
        try FileManager.default.removeItem(at: config)
        _ = try write(["eos_token_id": [2, -1]], as: "config.json")
        XCTAssertThrowsError(try Tokenizer(modelFolder: directory)) { error in
            guard case .invalidField(_, "eos_token_id[1]", _)? = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }

    func testDecodingAnUnknownIDThrows() throws {
        let tokenizer = try Tokenizer(file: try write(validDocument()))
        XCTAssertThrowsError(try tokenizer.decode([97, 258])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownID(258, vocabularySize: 258))
            XCTAssertEqual("\(error)", "token id 258 is not in the vocabulary (ids 0..<258)")
        }
        XCTAssertThrowsError(try tokenizer.decode([-1]))
    }
}

private extension Dictionary where Key == String, Value == Any {
    /// A copy with the value at `path` replaced (NSNull for JSON null), or removed when nil.
    func setting(_ path: [String], _ value: Any?) -> [String: Any] {
        var copy = self
        copy[path[0]] = path.count == 1 ? value : ((self[path[0]] as? [String: Any]) ?? [:]).setting(Array(path.dropFirst()), value)
        return copy
    }
}
