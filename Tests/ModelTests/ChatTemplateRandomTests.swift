import Foundation
import XCTest
@testable import Model

/// Random templates printed by jinja2 as transformers configures it (Fixtures/chat_templates/
/// random_cases.json.zst, fixed seed): 1,500 expressions (operators, filters, tests, methods and slices
/// nested three deep), 600 layouts (text and white space around tags with every -/+ marker) and 600
/// programs (set, for/else, if, break/continue, namespaces and macros over a few shared names).
/// Lethe must print the same text, fail where jinja2 failed, or refuse the construct as unsupported;
/// it must never print something else.
final class ChatTemplateRandomTests: XCTestCase {
    struct Document: Decodable {
        struct Case: Decodable {
            let source: String
            let text: String?
            let error: String?
        }
        let context: JSONValue
        let expressions: [Case]
        let layouts: [Case]
        let programs: [Case]
    }

    static func load() throws -> (Document, [String: TemplateValue]) {
        let compressed = try Data(contentsOf: ChatTemplateFixtures.folder.appendingPathComponent("random_cases.json.zst"))
        let raw = try compressed.withUnsafeBytes { try ZstdStream.decompress($0, byteLimit: 10_000_000) }
        let document = try JSONDecoder().decode(Document.self, from: Data(raw))
        guard case .dict(let variables) = try ChatTemplateFixtures.templateValue(document.context) else {
            throw ChatTemplateFixtures.MalformedFixture()
        }
        var context: [String: TemplateValue] = [:]
        for entry in variables.entries { context[try XCTUnwrap(entry.key.text)] = entry.value }
        return (document, context)
    }

    /// Checks every case; returns how many that jinja2 rendered were refused as unsupported.
    func check(_ cases: [Document.Case], _ context: [String: TemplateValue]) -> Int {
        var refused = 0
        for testCase in cases {
            do {
                let text = try ChatTemplate(source: testCase.source).render(context: context, clock: ChatTemplateFixtures.clock)
                guard let expected = testCase.text else {
                    XCTFail("\(testCase.source.debugDescription): printed \(text.debugDescription), jinja2 raised \(testCase.error ?? "")")
                    continue
                }
                XCTAssertTrue(text.unicodeScalars.elementsEqual(expected.unicodeScalars),
                              "\(testCase.source.debugDescription): printed \(text.debugDescription), jinja2 \(expected.debugDescription)")
            } catch ChatTemplateError.unsupported {
                if testCase.error == nil { refused += 1 }
            } catch {
                XCTAssertNotNil(testCase.error, "\(testCase.source.debugDescription): \(error), jinja2 printed \(testCase.text?.debugDescription ?? "")")
            }
        }
        return refused
    }

    func testRandomExpressionsPrintAsJinja2OrAreRefused() throws {
        let (document, context) = try Self.load()
        XCTAssertEqual(document.expressions.count, 1500)
        let refused = check(document.expressions, context)
        // The refusals: nearly all print a generator, whose text in jinja2 is a memory address.
        XCTAssertLessThan(refused, 60, "\(refused) of \(document.expressions.count) refused")
        print("random expressions: \(document.expressions.count - refused) as jinja2, \(refused) refused as unsupported")
    }

    func testRandomProgramsScopeTheirVariablesAsJinja2() throws {
        let (document, context) = try Self.load()
        XCTAssertEqual(document.programs.count, 600)
        XCTAssertEqual(check(document.programs, context), 0)
    }

    func testRandomLayoutsKeepAndStripWhiteSpaceAsJinja2() throws {
        let (document, context) = try Self.load()
        XCTAssertEqual(document.layouts.count, 600)
        XCTAssertEqual(check(document.layouts, context), 0)
    }
}
