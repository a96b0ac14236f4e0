import ArgumentParser
import Foundation
import Model
import Store

/// `--model DIR` or `--store DIR [--version N]`: where a command takes its model, tokenizer
/// and conversation format from.
struct ModelSourceOptions: ParsableArguments {
    @Option(help: "A Hugging Face model folder (config.json, tokenizer.json, model.safetensors[.zst]) or a GGUF file.")
    var model: String?
    @Option(help: "A Lethe store; the model is its --version.")
    var store: String?
    @Option(help: "The store version to use (default: HEAD).")
    var version: Int?

    func validate() throws {
        guard (model == nil) != (store == nil) else { throw ValidationError("pass exactly one of --model DIR and --store DIR") }
        if version != nil && store == nil { throw ValidationError("--version needs --store") }
    }

    final class Loaded {
        let model: LlamaModel
        /// The folder with tokenizer.json and tokenizer_config.json.
        let filesFolder: URL
        /// "Checkpoints/base" or "store Checkpoints, version 3", for messages and reports.
        let name: String
        /// A GGUF file's conversion, deleted when the command is done with it.
        private let converted: ModelSourceFolder?

        init(model: LlamaModel, filesFolder: URL, name: String, converted: ModelSourceFolder? = nil) {
            (self.model, self.filesFolder, self.name, self.converted) = (model, filesFolder, name, converted)
        }

        deinit { converted?.remove() }

        func format() throws -> ConversationFormat { try ConversationFormat(modelFolder: filesFolder, config: model.config) }
    }

    func load() throws -> Loaded {
        if let model {
            let source = try ModelSourceFolder(source: URL(fileURLWithPath: model))
            do {
                return Loaded(model: try ModelFolder.load(source.folder), filesFolder: source.folder, name: model, converted: source)
            } catch {
                source.remove()
                throw error
            }
        }
        let opened = try CheckpointStore(root: URL(fileURLWithPath: store!))
        let id = try version ?? opened.head()
        return Loaded(model: try opened.loadModel(version: id), filesFolder: opened.layout.modelFiles, name: "store \(store!), version \(id)")
    }
}
