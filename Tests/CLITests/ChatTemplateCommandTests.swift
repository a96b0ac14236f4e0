import Foundation
import Model
import XCTest

/// `lethe chat-template` through the real executable, on a real template whose jinja2 rendering is committed.
final class ChatTemplateCommandTests: XCTestCase {
    struct Golden: Decodable {
        struct Message: Codable {
            let role: String
            let content: String
        }
        struct Render: Decodable {
            let conversation: Int
            let special_tokens: Int
            let add_generation_prompt: Bool
            let text: String?
        }
        struct Template: Decodable {
            let name: String
            let source: String
            let renders: [Render]
        }
        let special_tokens: [[String: String]]
        let conversations: [[Message]]
        let templates: [Template]
    }

    static func golden() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ModelTests/Fixtures/chat_templates/chat_templates.json.zst").standardized
        let raw = try Data(contentsOf: url).withUnsafeBytes { try ZstdStream.decompress($0, byteLimit: 50_000_000) }
        return try JSONDecoder().decode(Golden.self, from: Data(raw))
    }

    /// A model folder whose tokenizer_config.json holds the template and the fixture's special tokens.
    func modelFolder(template: String, specialTokens: [String: String]) throws -> URL {
        let folder = try temporaryDirectory().appendingPathComponent("model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var config: [String: Any] = specialTokens
        config["chat_template"] = template
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        return folder
    }

    func testPrintsTheConversationExactlyAsTransformersRendersIt() throws {
        let golden = try Self.golden()
        let template = try XCTUnwrap(golden.templates.first { $0.name == "Qwen-Qwen2.5-7B-Instruct" })
        let folder = try modelFolder(template: template.source, specialTokens: golden.special_tokens[0])
        let conversation = 1
        let messagesFile = folder.appendingPathComponent("messages.json")
        try JSONEncoder().encode(golden.conversations[conversation]).write(to: messagesFile)
        let expected = { (prompt: Bool) in
            template.renders.first { $0.conversation == conversation && $0.special_tokens == 0 && $0.add_generation_prompt == prompt }?.text
        }

        let plain = try LetheProcess.run(["chat-template", "--model", folder.path, "--messages", messagesFile.path])
        XCTAssertEqual(plain.status, 0, plain.standardError)
        XCTAssertEqual(plain.standardOutput, try XCTUnwrap(expected(true)))
        XCTAssertTrue(plain.standardOutput.hasSuffix("<|im_start|>assistant\n"))

        let json = try LetheProcess.json(["chat-template", "--model", folder.path, "--messages", messagesFile.path,
                                          "--no-generation-prompt", "--json"])
        XCTAssertEqual(json["text"] as? String, try XCTUnwrap(expected(false)))

        // The {"messages": [...]} form reads the same conversation.
        let wrapped = folder.appendingPathComponent("wrapped.json")
        try JSONSerialization.data(withJSONObject: ["messages": golden.conversations[conversation].map { ["role": $0.role, "content": $0.content] }])
            .write(to: wrapped)
        let fromWrapped = try LetheProcess.run(["chat-template", "--model", folder.path, "--messages", wrapped.path])
        XCTAssertEqual(fromWrapped.standardOutput, plain.standardOutput, fromWrapped.standardError)
    }

    func testRefusalsNameTheFileTheFieldOrTheTemplateLine() throws {
        let folder = try modelFolder(template: "{% for m in messages %}\n{% if m.role == 'system' %}{{ raise_exception('no system role') }}{% endif %}{{ m.content }}{% endfor %}",
                                     specialTokens: [:])
        let messagesFile = folder.appendingPathComponent("messages.json")
        try #"[{"role": "system", "content": "x"}]"#.write(to: messagesFile, atomically: true, encoding: .utf8)
        let raised = try LetheProcess.run(["chat-template", "--model", folder.path, "--messages", messagesFile.path])
        XCTAssertNotEqual(raised.status, 0)
        XCTAssertTrue(raised.standardError.contains("chat template line 2: the template refused the conversation: no system role"), raised.standardError)

        try #"[{"role": "user", "content": "x", "tool_calls": []}]"#.write(to: messagesFile, atomically: true, encoding: .utf8)
        let extraField = try LetheProcess.run(["chat-template", "--model", folder.path, "--messages", messagesFile.path])
        XCTAssertNotEqual(extraField.status, 0)
        XCTAssertTrue(extraField.standardError.contains("message 1 has the field 'tool_calls'"), extraField.standardError)

        let empty = try temporaryDirectory()
        let missing = try LetheProcess.run(["chat-template", "--model", empty.path, "--messages", messagesFile.path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.standardError.contains("has no chat template"), missing.standardError)
    }
}
