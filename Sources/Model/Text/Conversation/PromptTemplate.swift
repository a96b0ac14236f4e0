import Foundation

public enum PromptTemplateError: Error, Equatable, CustomStringConvertible {
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let path, let reason): "\(path): '\(PromptTemplate.configKey)' \(reason)"
        }
    }
}

/// How a model that Lethe trained expects its questions: the text around the user's prompt,
/// e.g. "Question: {prompt}\nAnswer:". Stored as `lethe_prompt_template` in
/// tokenizer_config.json (Hugging Face keeps unknown keys), so `lethe generate` asks a
/// shipped model the way it was trained; models without one get the prompt as it is.
public struct PromptTemplate: Sendable, Equatable {
    public static let configKey = "lethe_prompt_template"
    public static let placeholder = "{prompt}"
    /// The format of the embedded default model's training examples.
    public static let questionAnswer = PromptTemplate(template: "Question: {prompt}\nAnswer:")
    public static let verbatim = PromptTemplate(template: placeholder)

    public let template: String

    public init(template: String) { self.template = template }

    /// The template of a model folder's tokenizer_config.json; `verbatim` when it has none. The
    /// file is read as the tokenizer reads it (a repeated key: the later value wins).
    public init(modelFolder: URL) throws {
        let url = modelFolder.appendingPathComponent(Tokenizer.configFileName)
        guard FileManager.default.fileExists(atPath: url.path), let value = try JSONField.document(contentsOf: url).member(Self.configKey) else {
            self = .verbatim
            return
        }
        guard case .string(let template) = value.value, template.contains(Self.placeholder) else {
            throw PromptTemplateError.invalid(path: url.path, reason: "must be a string containing \(Self.placeholder)")
        }
        self.init(template: template)
    }

    /// The text the model sees for `prompt`.
    public func apply(to prompt: String) -> String {
        template.replacingOccurrences(of: Self.placeholder, with: prompt)
    }
}
