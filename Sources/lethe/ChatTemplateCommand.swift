import ArgumentParser
import Foundation
import Model

struct ChatTemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-template",
        abstract: "Print a conversation as the model's chat template renders it.",
        discussion: """
            Renders the model folder's chat template (chat_template.jinja, else tokenizer_config.json's \
            chat_template) as transformers' apply_chat_template does, with the folder's special tokens. \
            FILE.json is a JSON array of {"role", "content"} objects, or {"messages": [...]}. The text is \
            printed exactly, without a newline added (docs/chat-templates.md).
            """
    )

    @Option(help: "A model folder with a chat template.")
    var model: String
    @Option(help: "A JSON file with the conversation.")
    var messages: String
    @Flag(help: "Leave out the assistant header that asks the model to answer.")
    var noGenerationPrompt = false
    @Flag(help: "Print {\"text\": ...} as JSON.")
    var json = false

    struct Rendered: Encodable {
        let text: String
    }

    func run() throws {
        let folder = URL(fileURLWithPath: model)
        guard let template = try ChatTemplate.load(modelFolder: folder) else { throw ChatTemplateError.missing(folder: model) }
        let text = try template.render(messages: try ChatMessage.conversation(contentsOf: URL(fileURLWithPath: messages)),
                                       addGenerationPrompt: !noGenerationPrompt,
                                       specialTokens: try ChatTemplate.specialTokens(modelFolder: folder))
        if json {
            print(try encodeJSON(Rendered(text: text)))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
