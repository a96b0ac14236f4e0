import Foundation
@testable import Model
import XCTest

/// Lethe's tokenizer against tokenizers' own output on the committed fixtures.
final class TokenizerParityTests: XCTestCase {
    func testEveryFixtureEncodesAndDecodesEveryTextAsTokenizersDoes() throws {
        let texts = try TokenizerFixtures.texts()
        for name in TokenizerFixtures.names {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            let expected = try TokenizerFixtures.expected(name)
            XCTAssertEqual(expected.cases.count, texts.count, name)
            for (text, case_) in zip(texts, expected.cases) {
                XCTAssertEqual(tokenizer.encode(text), case_.ids, "\(name): \(text.debugDescription)")
                XCTAssertEqual(tokenizer.encode(text, addSpecialTokens: true), case_.ids_with_special_tokens ?? case_.ids,
                               "\(name), with special tokens: \(text.debugDescription)")
                XCTAssertEqual(try tokenizer.decode(case_.ids), case_.decoded, "\(name): \(text.debugDescription)")
                XCTAssertEqual(try tokenizer.decode(case_.ids, skipSpecialTokens: true), case_.decoded_skipping_special,
                               "\(name), skipping special tokens: \(text.debugDescription)")
            }
        }
    }

    func testDecodingBytesThatAreNotUTF8ReplacesThemAsTokenizersDoes() throws {
        for name in TokenizerFixtures.names {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            for case_ in try TokenizerFixtures.expected(name).decode_cases {
                XCTAssertEqual(try tokenizer.decode(case_.ids), case_.decoded, "\(name): \(case_.ids)")
                if let skipping = case_.decoded_skipping_special {
                    XCTAssertEqual(try tokenizer.decode(case_.ids, skipSpecialTokens: true), skipping, "\(name): \(case_.ids)")
                }
            }
        }
    }

    /// A megabyte without spaces (one pre-token), 100 KB whitespace runs, long digit and CJK
    /// runs: each must come out as tokenizers' ids, so nothing in the pipeline is quadratic
    /// enough to stall a test.
    func testLongInputsEncodeAsTokenizersDoes() throws {
        for name in TokenizerFixtures.names {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            for long in try TokenizerFixtures.expected(name).long_inputs {
                let ids = tokenizer.encode(TokenizerFixtures.longInput(long.name))
                XCTAssertEqual(ids.count, long.count, "\(name) \(long.name)")
                XCTAssertEqual(Array(ids.prefix(8)), long.head, "\(name) \(long.name)")
                XCTAssertEqual(Array(ids.suffix(8)), long.tail, "\(name) \(long.name)")
                XCTAssertEqual(TokenizerFixtures.checksum(ids), long.checksum, "\(name) \(long.name)")
            }
        }
    }

    func testSplitPatternsAndDigitsCutRandomTextAsTokenizersDoes() throws {
        typealias Cut = (ArraySlice<Unicode.Scalar>, inout [Range<Int>]) -> Void
        let split = { (pattern: SplitPattern) -> Cut in SplitPreTokenizer(pattern: .regex(pattern), behavior: .isolated).split }
        let cuts: [(String, Cut, KeyPath<TokenizerFixtures.PreTokenizeCase, [Int]>)] = [
            ("gpt2", split(.gpt2), \.gpt2), ("llama3", split(.llama3), \.llama3), ("qwen2", split(.qwen2), \.qwen2),
            ("digits individually", DigitsPreTokenizer(individually: true).split, \.digits_individual),
            ("digits contiguous", DigitsPreTokenizer(individually: false).split, \.digits_contiguous),
        ]
        for case_ in try TokenizerFixtures.preTokenizeCases() {
            let scalars = Array(case_.text.unicodeScalars)
            for (name, cut, expected) in cuts {
                var pieces: [Range<Int>] = []
                cut(scalars[...], &pieces)
                XCTAssertEqual(pieces.map(\.count), case_[keyPath: expected], "\(name): \(case_.text.debugDescription)")
            }
        }
    }
}
