import Foundation
import XCTest
@testable import Model

/// Every llama.cpp template of Tests/ModelTests/Fixtures/chat_templates renders byte for byte as
/// transformers' `render_jinja_template` rendered it (Tests/Fixtures/make_chat_template_fixtures.py),
/// or fails where jinja2 failed.
final class ChatTemplateFixtureTests: XCTestCase {
    typealias Document = ChatTemplateFixtures.Document

    /// Why one rendering differs from jinja2's, or nil when it matches (the same text, or an error
    /// where jinja2 raised one, with the same message when the template raised it).
    static func mismatch(_ template: ChatTemplate, _ context: [String: TemplateValue], text expected: String?, error expectedError: String?) -> String? {
        do {
            let text = try template.render(context: context, clock: ChatTemplateFixtures.clock)
            guard let expected else { return "rendered, but jinja2 raised \(expectedError ?? "")" }
            if !text.unicodeScalars.elementsEqual(expected.unicodeScalars) {
                return "differs from jinja2\n--- expected\n\(expected)\n--- rendered\n\(text)"
            }
        } catch {
            guard let expectedError else { return "\(error)" }
            if expectedError.hasPrefix("TemplateError: ") {
                guard case .raised(_, let message) = error, "TemplateError: " + message == expectedError else {
                    return "raised \(error), jinja2 raised \(expectedError)"
                }
            }
        }
        return nil
    }

    func testEveryFixtureTemplateRendersAsJinja2() throws {
        let document = try ChatTemplateFixtures.document()
        XCTAssertGreaterThanOrEqual(document.templates.count, 70)
        for fixture in document.templates {
            let template: ChatTemplate
            do {
                template = try ChatTemplate(source: fixture.source)
            } catch {
                XCTFail("\(fixture.name): \(error)")
                continue
            }
            for render in fixture.renders {
                let messages = document.conversations[render.conversation].map { ChatMessage(role: $0.role, content: $0.content).templateValue }
                let context = ChatTemplate.context(messages: messages, addGenerationPrompt: render.add_generation_prompt,
                                                   specialTokens: document.special_tokens[render.special_tokens])
                if let problem = Self.mismatch(template, context, text: render.text, error: render.error) {
                    XCTFail("\(fixture.name), conversation \(render.conversation), special tokens \(render.special_tokens), add_generation_prompt \(render.add_generation_prompt): \(problem)")
                }
            }
        }
    }

    /// The same templates on a tool-calling exchange: `tools` given, an assistant turn with `tool_calls`,
    /// a `tool` turn (messages with more fields than role and content, through `render(context:)`).
    func testEveryFixtureTemplateRendersAToolCallAsJinja2() throws {
        let document = try ChatTemplateFixtures.document()
        guard case .list(let messages) = try ChatTemplateFixtures.templateValue(document.tool_conversation) else { return XCTFail("tool conversation") }
        let tools = try ChatTemplateFixtures.templateValue(document.tools)
        for fixture in document.templates {
            let template = try ChatTemplate(source: fixture.source)
            for render in fixture.tool_renders {
                var context = ChatTemplate.context(messages: messages, addGenerationPrompt: render.add_generation_prompt,
                                                   specialTokens: document.special_tokens[0])
                context["tools"] = tools
                if let problem = Self.mismatch(template, context, text: render.text, error: render.error) {
                    XCTFail("\(fixture.name), tool call, add_generation_prompt \(render.add_generation_prompt): \(problem)")
                }
            }
        }
    }
}
