import Foundation

/// A conversation file for `lethe chat-template`: a JSON array of `{"role", "content"}` objects, or an
/// object whose `messages` is that array. Fields other than these two are refused rather than
/// dropped, since a template would render them (tool calls, images) and the prompt would be wrong.
extension ChatMessage {
    public static func conversation(contentsOf url: URL) throws -> [ChatMessage] {
        func refuse(_ reason: String) -> ChatTemplateError { .unreadable(file: url.path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw refuse("cannot be read") }
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: data) else { throw refuse("is not valid JSON") }
        var list = document
        if case .object(let members) = document {
            guard let messages = members["messages"], members.count == 1 else {
                throw refuse("an object must have exactly one field, 'messages'")
            }
            list = messages
        }
        guard case .array(let items) = list else { throw refuse("must be a JSON array of messages, or {\"messages\": [...]}") }
        guard !items.isEmpty else { throw refuse("has no messages") }
        return try items.enumerated().map { index, item in
            guard case .object(let fields) = item else { throw refuse("message \(index + 1) is not an object") }
            guard case .string(let role)? = fields["role"] else { throw refuse("message \(index + 1) has no string 'role'") }
            guard case .string(let content)? = fields["content"] else { throw refuse("message \(index + 1) has no string 'content'") }
            if let extra = fields.keys.sorted().first(where: { $0 != "role" && $0 != "content" }) {
                throw refuse("message \(index + 1) has the field '\(extra)'; only 'role' and 'content' are supported")
            }
            return ChatMessage(role: role, content: content)
        }
    }
}
