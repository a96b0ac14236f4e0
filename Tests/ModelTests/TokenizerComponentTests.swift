import Foundation
@testable import Model
import XCTest

/// Each normalizer, pre-tokenizer and decoder on its own, read from the JSON tokenizers
/// writes for it, against what tokenizers makes of the same inputs
/// (Tests/ModelTests/Fixtures/tokenizer/real/components.json).
final class TokenizerComponentTests: XCTestCase {
    private static func components(_ stage: String) throws -> [JSONField] {
        let document = try JSONField.document(contentsOf: RealTokenizerFixtures.root.appendingPathComponent("components.json"))
        return try document.required(stage).array()
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
