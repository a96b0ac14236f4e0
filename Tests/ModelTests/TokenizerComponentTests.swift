import Foundation
@testable import Model
import XCTest

/// Each normalizer, pre-tokenizer and decoder on its own, read from the JSON tokenizers
/// writes for it, against what tokenizers makes of the same inputs
/// (Tests/ModelTests/Fixtures/tokenizer/real/components.json.zst).
final class TokenizerComponentTests: XCTestCase {
    private static func document() throws -> JSONField {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-components-\(UUID().uuidString).json")
        try Data(try RealTokenizerFixtures.decompressed("", "components.json.zst")).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try JSONField.document(contentsOf: url)
    }

    private static func components(_ stage: String) throws -> [JSONField] {
        try document().required(stage).array()
    }

    func testEachNormalizerNormalizesAsTokenizersDoes() throws {
        let components = try Self.components("normalizers")
        XCTAssertGreaterThan(components.count, 10)
        for component in components {
            let normalizer = try Normalizer(json: try component.required("json"))
            for case_ in try component.required("cases").array() {
                let text = try case_.required("text").string()
                let normalized = normalizer.normalized(text)
                XCTAssertTrue(normalized.unicodeScalars.elementsEqual(try case_.required("normalized").string().unicodeScalars),
                              "\(normalizer): \(text.debugDescription) gave \(normalized.debugDescription)")
            }
        }
    }

    func testEachPreTokenizerCutsAsTokenizersDoes() throws {
        let components = try Self.components("pre_tokenizers")
        XCTAssertGreaterThan(components.count, 20)
        for component in components {
            let preTokenizer = try PreTokenizer(json: try component.required("json"))
            for case_ in try component.required("cases").array() {
                let text = try case_.required("text").string()
                var pieces: [String] = []
                preTokenizer.forEachPreToken(of: Array(text.unicodeScalars), startsInput: true) { bytes in
                    // tokenizers shows a byte-level piece in its alphabet.
                    pieces.append(preTokenizer.byteLevel != nil ? ByteLevelAlphabet.token(for: bytes) : String(decoding: bytes, as: UTF8.self))
                }
                let expected = try case_.required("pieces").array().map { try $0.string() }
                XCTAssertEqual(pieces.map { Array($0.unicodeScalars) }, expected.map { Array($0.unicodeScalars) },
                               "\(preTokenizer): \(text.debugDescription) gave \(pieces)")
            }
        }
    }

    func testEachDecoderDecodesAsTokenizersDoes() throws {
        let components = try Self.components("decoders")
        XCTAssertGreaterThan(components.count, 8)
        for component in components {
            let decoder = try TokenDecoder(json: try component.required("json"))
            for case_ in try component.required("cases").array() {
                let tokens = try case_.required("tokens").array().map { try $0.string() }
                let decoded = decoder.decode(tokens).joined()
                XCTAssertTrue(decoded.unicodeScalars.elementsEqual(try case_.required("decoded").string().unicodeScalars),
                              "\(decoder): \(tokens) gave \(decoded.debugDescription)")
            }
        }
    }

    /// The regex engine against tokenizers' Oniguruma on other families' split patterns
    /// (DeepSeek, Falcon, StarCoder, ChatGLM, GPT-4o-style, possessive and lazy quantifiers,
    /// lookaheads, anchors) and on the three patterns the scanners implement.
    func testTheRegexEngineCutsOtherFamiliesPatternsAsTokenizersDoes() throws {
        let splits = try Self.document().required("split_patterns")
        let texts = try splits.required("texts").array().map { try $0.string() }
        let patterns = try splits.required("patterns").array()
        XCTAssertGreaterThan(patterns.count, 20)
        XCTAssertGreaterThan(texts.count, 200)
        for entry in patterns {
            let pattern = try entry.required("pattern").string()
            let matcher = try RegexMatcher(pattern: pattern)
            let split = SplitPreTokenizer(pattern: .otherRegex(matcher), behavior: .isolated)
            for (text, lengths) in zip(texts, try entry.required("lengths").array()) {
                var pieces: [Range<Int>] = []
                split.split(Array(text.unicodeScalars)[...], into: &pieces)
                XCTAssertEqual(pieces.map(\.count), try lengths.array().map { try $0.integer() },
                               "\(pattern.debugDescription): \(text.debugDescription)")
            }
        }
    }

    /// Long runs under quantifiers loop rather than recurse: a megabyte of letters, 200,000
    /// repetitions of a two-scalar group, and digit grouping over 3,001 digits (each match
    /// looks ahead to the end of the run, as in Oniguruma: the first group takes what is
    /// left over from threes).
    func testLongRunsUnderQuantifiersNeitherRecurseNorFail() throws {
        let letters = Array(String(repeating: "a", count: 1_000_000).unicodeScalars)
        XCTAssertEqual(try RegexMatcher(pattern: "\\p{L}+").matches(in: letters[...]), [0..<1_000_000])
        let pairs = Array(String(repeating: "ab", count: 200_000).unicodeScalars)
        XCTAssertEqual(try RegexMatcher(pattern: "(?:ab)+").matches(in: pairs[...]), [0..<400_000])
        let digits = Array(String(repeating: "7", count: 3_001).unicodeScalars)
        let groups = try RegexMatcher(pattern: "\\d{1,3}(?=(?:\\d{3})*\\b)").matches(in: digits[...])
        XCTAssertEqual(groups.map(\.count), [1] + Array(repeating: 3, count: 1_000))
    }

    func testPatternsTheEngineLacksAreRefusedNamingTheConstruct() {
        for (pattern, construct) in [("(?<=a)b", "lookbehind"), ("\\p{Han}+", "\\p{Han}"), ("(a)\\1", "backreference"), ("[a&&b]", "&&"),
                                      ("(?:\\p{L}\\p{M}*)+", "variable width"), ("(?:a|bc){2,5000}", "variable width"),
                                      (String(repeating: "(", count: 100_000), "nested")] {
            XCTAssertThrowsError(try RegexMatcher(pattern: pattern), pattern) { error in
                XCTAssertTrue((error as? RegexSyntaxError)?.reason.contains(construct) == true, "\(pattern): \(error)")
            }
        }
    }

    /// Every component reads back from what it writes, so a written tokenizer.json means what
    /// the one read meant.
    func testEachComponentReadsBackWhatItWrites() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-components-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func reread(_ value: HeaderJSONValue) throws -> JSONField {
            let url = directory.appendingPathComponent("component.json")
            try Data(TokenizerWriter.json(value: .object([HeaderJSONMember(key: "c", value: value)]))).write(to: url)
            return try JSONField.document(contentsOf: url).required("c")
        }
        for component in try Self.components("normalizers") {
            let normalizer = try Normalizer(json: try component.required("json"))
            XCTAssertEqual(try Normalizer(json: try reread(normalizer.json)), normalizer)
        }
        for component in try Self.components("pre_tokenizers") {
            let preTokenizer = try PreTokenizer(json: try component.required("json"))
            XCTAssertEqual(try PreTokenizer(json: try reread(preTokenizer.json)), preTokenizer)
        }
        for component in try Self.components("decoders") {
            let decoder = try TokenDecoder(json: try component.required("json"))
            XCTAssertEqual(try TokenDecoder(json: try reread(decoder.json)), decoder)
        }
    }
}
