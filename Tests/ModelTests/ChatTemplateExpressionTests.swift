import Foundation
import XCTest
@testable import Model

/// 1,500 random expressions (Fixtures/chat_templates/expression_cases.json.zst), operators, filters,
/// tests, methods and slices nested three deep, each printed by jinja2 as transformers configures it.
/// Lethe must print the same text, fail where jinja2 failed, or refuse the construct as unsupported;
/// it must never print something else.
final class ChatTemplateExpressionTests: XCTestCase {
    struct Document: Decodable {
        struct Case: Decodable {
            let source: String
            let text: String?
            let error: String?
        }
        let context: JSONValue
        let cases: [Case]
    }

    func testRandomExpressionsPrintAsJinja2OrAreRefused() throws {
        let compressed = try Data(contentsOf: ChatTemplateFixtures.folder.appendingPathComponent("expression_cases.json.zst"))
        let raw = try compressed.withUnsafeBytes { try ZstdStream.decompress($0, byteLimit: 10_000_000) }
        let document = try JSONDecoder().decode(Document.self, from: Data(raw))
        guard case .dict(let variables) = try ChatTemplateFixtures.templateValue(document.context) else { return XCTFail("context") }
        var context: [String: TemplateValue] = [:]
        for entry in variables.entries { context[try XCTUnwrap(entry.key.text)] = entry.value }
        XCTAssertEqual(document.cases.count, 1500)
        var matched = 0, refused = 0
        for testCase in document.cases {
            do {
                let text = try ChatTemplate(source: testCase.source).render(context: context, clock: ChatTemplateFixtures.clock)
                guard let expected = testCase.text else {
                    XCTFail("\(testCase.source): printed \(text.debugDescription), jinja2 raised \(testCase.error ?? "")")
                    continue
                }
                XCTAssertTrue(text.unicodeScalars.elementsEqual(expected.unicodeScalars),
                              "\(testCase.source): printed \(text.debugDescription), jinja2 \(expected.debugDescription)")
                matched += 1
            } catch ChatTemplateError.unsupported {
                refused += 1
            } catch {
                XCTAssertNotNil(testCase.error, "\(testCase.source): \(error), jinja2 printed \(testCase.text?.debugDescription ?? "")")
                matched += 1
            }
        }
        // The refusals: printing a generator (jinja2 prints its memory address) and the % operator.
        XCTAssertLessThan(refused, 60, "\(refused) of \(document.cases.count) refused")
        print("random expressions: \(matched) as jinja2, \(refused) refused as unsupported")
    }
}
