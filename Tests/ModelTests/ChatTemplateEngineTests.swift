import Foundation
import XCTest
@testable import Model

/// The engine rule by rule: each case of Fixtures/chat_templates/engine_cases.json is a small template
/// that jinja2 (configured by transformers) rendered or refused; Lethe must print the same bytes, or
/// fail in the same phase (parsing or rendering) with the same kind of error.
final class ChatTemplateEngineTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let source: String
        let context: JSONValue
        let text: String?
        let error: String?
        let phase: String?
    }

    func testEveryEngineCaseMatchesJinja2() throws {
        let url = ChatTemplateFixtures.folder.appendingPathComponent("engine_cases.json")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
        XCTAssertGreaterThan(cases.count, 70)
        for testCase in cases {
            guard case .dict(let dictionary) = try ChatTemplateFixtures.templateValue(testCase.context) else { return XCTFail("\(testCase.name): context") }
            var context: [String: TemplateValue] = [:]
            for entry in dictionary.entries {
                guard case .string(let key) = entry.key else { return XCTFail("\(testCase.name): context key") }
                context[key] = entry.value
            }
            let template: ChatTemplate
            do {
                template = try ChatTemplate(source: testCase.source)
            } catch {
                XCTAssertEqual(testCase.phase, "compile", "\(testCase.name): parsing failed where jinja2 did not: \(error)")
                continue
            }
            XCTAssertNotEqual(testCase.phase, "compile", "\(testCase.name): parsed, but jinja2 refused it: \(testCase.error ?? "")")
            do {
                let text = try template.render(context: context, clock: ChatTemplateFixtures.clock)
                XCTAssertNil(testCase.error, "\(testCase.name): rendered \(text.debugDescription), jinja2 raised")
                if let expected = testCase.text {
                    XCTAssertTrue(text.unicodeScalars.elementsEqual(expected.unicodeScalars),
                                  "\(testCase.name): rendered \(text.debugDescription), jinja2 \(expected.debugDescription)")
                }
            } catch {
                XCTAssertEqual(testCase.phase, "render", "\(testCase.name): failed where jinja2 did not: \(error)")
                if let expected = testCase.error, expected.hasPrefix("TemplateError: ") {
                    XCTAssertEqual(error, .raised(line: 1, message: String(expected.dropFirst("TemplateError: ".count))), testCase.name)
                }
            }
        }
    }

    func render(_ source: String, _ context: [String: TemplateValue] = [:]) throws -> String {
        try ChatTemplate(source: source).render(context: context, clock: ChatTemplateFixtures.clock)
    }

    func testRenderErrorsNameTheLineOfTheStatement() {
        XCTAssertThrowsError(try render("a\n{% for m in [1] %}\n  {{ m.x.y }}\n{% endfor %}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .render(line: 3, message: "'int object' has no attribute 'x'"))
            XCTAssertEqual("\(error)", "chat template line 3: 'int object' has no attribute 'x'")
        }
    }

    func testAnElifConditionsErrorNamesTheElifLine() {
        XCTAssertThrowsError(try render("{% if false %}\n{% elif missing.x %}\n{% endif %}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .render(line: 2, message: "'missing' is undefined"))
        }
    }

    func testBreakInsideASetBlockIsRefusedRatherThanImitated() {
        XCTAssertThrowsError(try render("{% for x in [1, 2] %}{% set y %}a{% break %}{% endset %}{{ y }}{% endfor %}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unsupported(line: 1, construct: "break or continue inside a set or filter block"))
        }
    }

    func testRecursionAndNestingAreBoundedInsteadOfExhaustingTheStack() {
        XCTAssertThrowsError(try render("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unsupported(line: 1, construct: "macro calls nested deeper than 64"))
        }
        let deep = String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500)
        XCTAssertThrowsError(try ChatTemplate(source: "{{ \(deep) }}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unsupported(line: 1, construct: "nesting deeper than 64 levels"))
        }
        let blocks = String(repeating: "{% if true %}", count: 500) + String(repeating: "{% endif %}", count: 500)
        XCTAssertThrowsError(try ChatTemplate(source: blocks))
        XCTAssertEqual(try render(String(repeating: "{% if true %}", count: 30) + "ok" + String(repeating: "{% endif %}", count: 30)), "ok")
    }

    func testATemplateCannotAskForGigabytes() {
        for source in ["{{ 'ab' * 10000000000 }}", "{{ [1] * 20000000 }}", "{{ '%*d' % (1000000000, 1) }}", "{{ 'x'|indent(1000000000) }}"] {
            XCTAssertThrowsError(try render(source), source) { error in
                guard case .unsupported? = error as? ChatTemplateError else { return XCTFail("\(source): \(error)") }
            }
        }
        XCTAssertEqual(try render("{{ 'ab' * 3 }}{{ [1] * 2 }}"), "ababab[1, 1]")
    }

    func testIntegerArithmeticThatWouldTrapOrRunForeverIsRefusedOrQuick() throws {
        for source in ["{{ (-9223372036854775807 - 1) // -1 }}", "{{ (-9223372036854775807 - 1) % -1 }}", "{{ 3 ** 1000000000000000 }}"] {
            XCTAssertThrowsError(try render(source), source) { error in
                guard case .unsupported? = error as? ChatTemplateError else { return XCTFail("\(source): \(error)") }
            }
        }
        XCTAssertEqual(try render("{{ 1 ** 1000000000000000 }} {{ (-1) ** 1000000000000001 }} {{ 2 ** 62 }} {{ 7 // -2 }} {{ 7 % -2 }}"),
                       "1 -1 4611686018427387904 -4 -1")
    }

    func testAHugeRangeIsRefusedBeforeItIsBuilt() {
        // Building range(10**15) first would ask for 8 PB and end the process.
        XCTAssertThrowsError(try render("{% for i in range(1000000000000000) %}{% endfor %}")) { error in
            XCTAssertTrue("\(error)".contains("range too big"), "\(error)")
        }
        XCTAssertEqual(try render("{{ range(99998, 100000, 1)|list }}"), "[99998, 99999]")
    }

    func testSyntaxErrorsNameTheirLine() {
        XCTAssertThrowsError(try ChatTemplate(source: "x\n\n{{ 1 + }}")) { error in
            guard case .syntax(let line, _)? = error as? ChatTemplateError else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 3)
        }
        XCTAssertThrowsError(try ChatTemplate(source: "{% if true %}\n{% for x in y %}\n")) { error in
            XCTAssertEqual("\(error)", "chat template line 2: unexpected end of template, expected 'else' or 'endfor'")
        }
    }

    func testUnsupportedConstructsAreNamedWithTheirLine() {
        let cases: [(String, ChatTemplateError)] = [
            ("a\n{% include 'x.jinja' %}", .unsupported(line: 2, construct: "the 'include' statement")),
            ("{% raw %}{{ x }}{% endraw %}", .unsupported(line: 1, construct: "the raw block")),
            ("{% for x in y recursive %}{% endfor %}", .unsupported(line: 1, construct: "a recursive for loop")),
        ]
        for (source, expected) in cases {
            XCTAssertThrowsError(try ChatTemplate(source: source)) { XCTAssertEqual($0 as? ChatTemplateError, expected) }
        }
        XCTAssertThrowsError(try render("\n\n{{ 'x'|xmlattr }}")) { error in
            XCTAssertEqual("\(error)", "chat template line 3: the filter 'xmlattr' is not supported")
        }
        XCTAssertThrowsError(try render("{{ 'x'.zfill(3) }}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unsupported(line: 1, construct: "the str method 'zfill'"))
        }
        XCTAssertThrowsError(try render("{{ '%e' % 1 }}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unsupported(line: 1, construct: "the %e conversion of the % operator"))
        }
    }

    func testPrintingAnObjectWithoutAStableTextIsRefused() {
        XCTAssertThrowsError(try render("{{ namespace(a=1) }}")) { error in
            guard case .unsupported? = error as? ChatTemplateError else { return XCTFail("\(error)") }
        }
    }

    func testRaiseExceptionCarriesTheTemplatesMessageAndLine() {
        let source = "{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('No system role, please') }}\n{% endif %}{% endfor %}"
        let template = try! ChatTemplate(source: source)
        XCTAssertThrowsError(try template.render(messages: [ChatMessage(role: "system", content: "x")], addGenerationPrompt: false, specialTokens: [:])) {
            XCTAssertEqual($0 as? ChatTemplateError, .raised(line: 3, message: "No system role, please"))
        }
        XCTAssertEqual(try template.render(messages: [ChatMessage(role: "user", content: "x")], addGenerationPrompt: false, specialTokens: [:]), "")
    }

    func testRenderPassesTheVariablesTransformersPasses() throws {
        let template = try ChatTemplate(source: """
            {{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}\
            {{ tools is none }}{{ documents is none }}{% if add_generation_prompt %}<go>{% endif %}{{ eos_token is defined }}
            """)
        let messages = [ChatMessage(role: "user", content: "hi"), ChatMessage(role: "assistant", content: "yo")]
        XCTAssertEqual(try template.render(messages: messages, addGenerationPrompt: true, specialTokens: ["bos_token": "<s>"]),
                       "<s>[user:hi][assistant:yo]TrueTrue<go>False")
        XCTAssertEqual(try template.render(messages: messages, addGenerationPrompt: false, specialTokens: ["bos_token": "<s>", "eos_token": "</s>"]),
                       "<s>[user:hi][assistant:yo]TrueTrueTrue")
    }

    func testLoadReadsTheFolderInTransformersOrder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-chat-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertNil(try ChatTemplate.load(modelFolder: folder))

        let config = folder.appendingPathComponent("tokenizer_config.json")
        try #"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ bos_token }}"}], "bos_token": {"content": "<s>"}, "eos_token": "</s>"}"#
            .write(to: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ChatTemplate.load(modelFolder: folder)?.source, "D{{ bos_token }}")
        XCTAssertEqual(try ChatTemplate.specialTokens(modelFolder: folder), ["bos_token": "<s>", "eos_token": "</s>"])

        // A repeated key keeps its last value, as transformers' json.load reads it.
        try #"{"chat_template": "first", "chat_template": "S"}"#.write(to: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ChatTemplate.load(modelFolder: folder)?.source, "S")

        try "J".write(to: folder.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try ChatTemplate.load(modelFolder: folder)?.source, "J")

        try FileManager.default.removeItem(at: folder.appendingPathComponent("chat_template.jinja"))
        try #"{"chat_template": [{"name": "a", "template": "A"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ChatTemplate.load(modelFolder: folder)) { error in
            XCTAssertTrue("\(error)".contains("none is named 'default'"), "\(error)")
        }
    }
}
