import Foundation
import XCTest
@testable import Model

/// Every llama.cpp template of Tests/ModelTests/Fixtures/chat_templates renders byte for byte as
/// transformers' `render_jinja_template` rendered it (Tests/Fixtures/make_chat_template_fixtures.py),
/// or fails where jinja2 failed.
final class ChatTemplateFixtureTests: XCTestCase {
    struct Document: Decodable {
        struct Message: Decodable {
            let role: String
            let content: String
        }
        struct Render: Decodable {
            let conversation: Int
            let special_tokens: Int
            let add_generation_prompt: Bool
            let text: String?
            let error: String?
        }
        struct Template: Decodable {
            let name: String
            let source: String
            let renders: [Render]
        }
        let now: String
        let special_tokens: [[String: String]]
        let conversations: [[Message]]
        let templates: [Template]
    }

    static func document() throws -> Document {
        let url = Fixtures.root.appendingPathComponent("chat_templates/chat_templates.json.zst")
        let compressed = try Data(contentsOf: url)
        let raw = try compressed.withUnsafeBytes { try ZstdStream.decompress($0, byteLimit: 50_000_000) }
        return try JSONDecoder().decode(Document.self, from: Data(raw))
    }

    /// The pinned `strftime_now` date of the fixture, as a wall clock in UTC.
    static func clock(_ document: Document) throws -> TemplateInterpreter.Clock {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let now = try XCTUnwrap(formatter.date(from: document.now))
        return TemplateInterpreter.Clock(now: now, timeZone: TimeZone(identifier: "UTC")!)
    }

    /// Why one template does not match jinja2, or nil when every render matches.
    static func mismatch(_ template: Document.Template, _ document: Document, clock: TemplateInterpreter.Clock) -> String? {
        let parsed: ChatTemplate
        do {
            parsed = try ChatTemplate(source: template.source)
        } catch {
            return "parse: \(error)"
        }
        for render in template.renders {
            let messages = document.conversations[render.conversation].map { ChatMessage(role: $0.role, content: $0.content).templateValue }
            let context = ChatTemplate.context(messages: messages, addGenerationPrompt: render.add_generation_prompt,
                                               specialTokens: document.special_tokens[render.special_tokens])
            let label = "conversation \(render.conversation), special tokens \(render.special_tokens), add_generation_prompt \(render.add_generation_prompt)"
            do {
                let text = try parsed.render(context: context, clock: clock)
                guard let expected = render.text else { return "\(label): rendered, but jinja2 raised \(render.error ?? "")" }
                if text != expected || !text.unicodeScalars.elementsEqual(expected.unicodeScalars) {
                    return "\(label): differs from jinja2\n--- expected\n\(expected)\n--- rendered\n\(text)"
                }
            } catch {
                guard let expected = render.error else { return "\(label): \(error)" }
                if expected.hasPrefix("TemplateError: ") {
                    guard case .raised(_, let message) = error, "TemplateError: " + message == expected else {
                        return "\(label): raised \(error), jinja2 raised \(expected)"
                    }
                }
            }
        }
        return nil
    }

    func testEveryFixtureTemplateRendersAsJinja2() throws {
        let document = try Self.document()
        let clock = try Self.clock(document)
        XCTAssertGreaterThanOrEqual(document.templates.count, 70)
        for template in document.templates {
            if let problem = Self.mismatch(template, document, clock: clock) { XCTFail("\(template.name): \(problem)") }
        }
    }
}
