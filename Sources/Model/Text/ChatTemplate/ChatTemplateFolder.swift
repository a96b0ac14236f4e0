import Foundation

/// Where a Hugging Face model folder keeps its chat template, read in transformers' order:
/// `chat_template.jinja` (with any `additional_chat_templates/*.jinja`), else tokenizer_config.json's
/// `chat_template` (a string, or a list of `{name, template}`); of several, the one named "default".
extension ChatTemplate {
    public static let templateFile = "chat_template.jinja"
    public static let additionalTemplatesFolder = "additional_chat_templates"
    /// The tokenizer attributes transformers hands a template (its `SPECIAL_TOKENS_ATTRIBUTES`).
    public static let specialTokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// The folder's template, or nil when it has none.
    public static func load(modelFolder: URL) throws -> ChatTemplate? {
        guard let source = try templateSource(modelFolder: modelFolder) else { return nil }
        return try ChatTemplate(source: source)
    }

    static func templateSource(modelFolder: URL) throws -> String? {
        var named: [String: String] = [:]
        let main = modelFolder.appendingPathComponent(templateFile)
        if FileManager.default.fileExists(atPath: main.path) { named["default"] = try read(main) }
        let extra = modelFolder.appendingPathComponent(additionalTemplatesFolder)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: extra.path)) ?? [] where file.hasSuffix(".jinja") {
            named[String(file.dropLast(".jinja".count))] = try read(extra.appendingPathComponent(file))
        }
        if !named.isEmpty { return try pickDefault(named, file: main.path) }
        let configURL = modelFolder.appendingPathComponent(Tokenizer.configFileName)
        guard let config = try tokenizerConfig(configURL) else { return nil }
        switch config["chat_template"] {
        case nil, is NSNull:
            return nil
        case let source as String:
            return source
        case let entries as [Any]:
            for entry in entries {
                guard let fields = entry as? [String: Any], let name = fields["name"] as? String, let source = fields["template"] as? String else {
                    throw ChatTemplateError.unreadable(file: configURL.path, reason: "each entry of 'chat_template' must be an object with string fields 'name' and 'template'")
                }
                named[name] = source
            }
            return try pickDefault(named, file: configURL.path)
        default:
            throw ChatTemplateError.unreadable(file: configURL.path, reason: "'chat_template' must be a string or a list of {name, template}")
        }
    }

    /// The special tokens of tokenizer_config.json (strings, or added-token objects with a `content`).
    public static func specialTokens(modelFolder: URL) throws -> [String: String] {
        guard let config = try tokenizerConfig(modelFolder.appendingPathComponent(Tokenizer.configFileName)) else { return [:] }
        var tokens: [String: String] = [:]
        for name in specialTokenNames {
            switch config[name] {
            case let token as String: tokens[name] = token
            case let token as [String: Any]: if let content = token["content"] as? String { tokens[name] = content }
            default: break
            }
        }
        return tokens
    }

    private static func pickDefault(_ named: [String: String], file: String) throws -> String {
        if let source = named["default"] { return source }
        throw ChatTemplateError.unreadable(
            file: file, reason: "the model has several chat templates (\(named.keys.sorted().joined(separator: ", "))) and none is named 'default'")
    }

    private static func read(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw ChatTemplateError.unreadable(file: url.path, reason: "cannot be read as UTF-8 text")
        }
        return text
    }

    /// tokenizer_config.json as Python's json reads it: a repeated key keeps its last value (real files
    /// repeat keys, and Foundation's JSONDecoder would keep the first).
    private static func tokenizerConfig(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path),
              let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw ChatTemplateError.unreadable(file: url.path, reason: "is not valid JSON")
        }
        guard let object = value as? [String: Any] else {
            throw ChatTemplateError.unreadable(file: url.path, reason: "must be a JSON object")
        }
        return object
    }
}
