import Foundation
import XCTest
@testable import Model

/// The committed output of Tests/Fixtures/make_chat_template_fixtures.py.
enum ChatTemplateFixtures {
    static let folder = Fixtures.root.appendingPathComponent("chat_templates")

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
        struct ToolRender: Decodable {
            let add_generation_prompt: Bool
            let text: String?
            let error: String?
        }
        struct Template: Decodable {
            let name: String
            let source: String
            let renders: [Render]
            let tool_renders: [ToolRender]
        }
        let now: String
        let special_tokens: [[String: String]]
        let conversations: [[Message]]
        let tools: JSONValue
        let tool_conversation: JSONValue
        let templates: [Template]
    }

    static func document() throws -> Document {
        let compressed = try Data(contentsOf: folder.appendingPathComponent("chat_templates.json.zst"))
        let raw = try compressed.withUnsafeBytes { try ZstdStream.decompress($0, byteLimit: 50_000_000) }
        return try JSONDecoder().decode(Document.self, from: Data(raw))
    }

    /// The pinned `strftime_now` date of the fixtures (2025-03-14 09:26:53), as a wall clock in UTC.
    static let clock = TemplateInterpreter.Clock(now: Date(timeIntervalSince1970: 1_741_944_413), timeZone: TimeZone(identifier: "UTC")!)

    struct MalformedFixture: Error {}

    /// The fixtures' ordered JSON: a dict is `{"dict": [[key, value], ...]}`, so its order is kept; a
    /// float is `{"float": x}`, any other number an int.
    static func templateValue(_ json: JSONValue) throws -> TemplateValue {
        switch json {
        case .null: return .none
        case .bool(let value): return .bool(value)
        case .number(let value):
            guard let integer = Int(exactly: value) else { throw MalformedFixture() }
            return .int(integer)
        case .string(let value): return .string(value)
        case .array(let items): return .list(try items.map(templateValue))
        case .object(let members):
            if case .number(let value)? = members["float"], members.count == 1 { return .float(value) }
            guard case .array(let pairs)? = members["dict"], members.count == 1 else { throw MalformedFixture() }
            return .dict(TemplateDictionary(try pairs.map { pair in
                guard case .array(let parts) = pair, parts.count == 2 else { throw MalformedFixture() }
                return (try templateValue(parts[0]), try templateValue(parts[1]))
            }))
        }
    }
}
