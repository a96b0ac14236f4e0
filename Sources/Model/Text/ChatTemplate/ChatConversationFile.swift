import Foundation

/// A conversation file for `lethe chat-template`: a JSON array of `{"role", "content"}` objects, or an
/// object whose `messages` is that array. Fields other than these two are refused rather than
/// dropped, since a template would render them (tool calls, images) and the prompt would be wrong.
/// A repeated key keeps its last value, as Python's json reads it.
extension ChatMessage {
    public static func conversation(contentsOf url: URL) throws -> [ChatMessage] {
        func refuse(_ reason: String) -> ChatTemplateError { .unreadable(file: url.path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw refuse("cannot be read") }
        guard var list = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw refuse("is not valid JSON")
        }
        if let members = list as? [String: Any] {
            guard let messages = members["messages"], members.count == 1 else {
                throw refuse("an object must have exactly one field, 'messages'")
            }
            list = messages
        }
        guard let items = list as? [Any] else { throw refuse("must be a JSON array of messages, or {\"messages\": [...]}") }
        guard !items.isEmpty else { throw refuse("has no messages") }
        return try items.enumerated().map { index, item in
            guard let fields = item as? [String: Any] else { throw refuse("message \(index + 1) is not an object") }
            guard let role = fields["role"] as? String else { throw refuse("message \(index + 1) has no string 'role'") }
            guard let content = fields["content"] as? String else { throw refuse("message \(index + 1) has no string 'content'") }
            if let extra = fields.keys.sorted().first(where: { $0 != "role" && $0 != "content" }) {
                throw refuse("message \(index + 1) has the field '\(extra)'; only 'role' and 'content' are supported")
            }
            return ChatMessage(role: role, content: content)
        }
    }
}
