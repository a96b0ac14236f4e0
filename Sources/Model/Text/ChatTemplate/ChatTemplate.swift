import Foundation

/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// The message as the template sees it: a dict with `role` and `content`.
    var templateValue: TemplateValue {
        .dict(TemplateDictionary(strings: [("role", .string(role)), ("content", .string(content))]))
    }
}

/// A model's chat template (Jinja), rendered as transformers' `apply_chat_template` renders it:
/// jinja2's ImmutableSandboxedEnvironment with `trim_blocks`, `lstrip_blocks` and loop controls, and
/// transformers' globals (`raise_exception`, `strftime_now`, `namespace`, `dict`) and `tojson`.
public struct ChatTemplate: Sendable {
    public let source: String
    private let template: TemplateFrame

    /// Parses the template once; a syntax error or an unsupported statement names its line.
    public init(source: String) throws {
        self.source = source
        template = try TemplateParser.parse(source)
    }

    /// The conversation as the model reads it. `specialTokens` are the tokenizer's named special tokens
    /// ("bos_token", "eos_token", "unk_token", "pad_token", …) that transformers passes to the template.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, specialTokens: [String: String]) throws -> String {
        try render(context: Self.context(messages: messages.map(\.templateValue), addGenerationPrompt: addGenerationPrompt,
                                         specialTokens: specialTokens))
    }

    /// Renders with any variables: what `render(messages:…)` builds, or messages with more fields.
    public func render(context: [String: TemplateValue]) throws -> String {
        try render(context: context, clock: .system)
    }

    func render(context: [String: TemplateValue], clock: TemplateInterpreter.Clock) throws(ChatTemplateError) -> String {
        try TemplateInterpreter(clock: clock).render(template, context: context)
    }

    /// The variables transformers' `render_jinja_template` passes: the messages, `tools` and `documents`
    /// (None when not given), `add_generation_prompt`, and the special tokens.
    public static func context(messages: [TemplateValue], addGenerationPrompt: Bool,
                               specialTokens: [String: String]) -> [String: TemplateValue] {
        var context = specialTokens.mapValues(TemplateValue.string)
        context["messages"] = .list(messages)
        context["tools"] = TemplateValue.none
        context["documents"] = TemplateValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        return context
    }
}
