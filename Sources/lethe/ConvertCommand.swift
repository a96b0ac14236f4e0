import ArgumentParser
import Foundation
import Model

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a Hugging Face Llama model folder or a GGUF file as a folder with one Float32 model.safetensors.",
        discussion: """
            A folder: reads F32, F16 or BF16 weights, single-file or sharded; writes config.json and model.safetensors. \
            A GGUF file (llama, mistral, qwen2; F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K–Q6_K): also writes \
            tokenizer.json and tokenizer_config.json (with the chat template) rebuilt from its metadata. transformers \
            loads the folder as it is.
            """
    )

    @Option(help: "The model folder or GGUF file to read.")
    var model: String
    @Option(help: "The folder to write (created if missing).")
    var out: String

    func run() throws {
        let source = URL(fileURLWithPath: model), destination = URL(fileURLWithPath: out)
        guard ModelSourceFolder.isGGUF(source) else {
            let loaded = try ModelFolder.load(source)
            try ModelFolder.write(loaded, to: destination)
            return print("wrote \(out)/config.json and \(out)/model.safetensors (\(loaded.layout.count.formatted()) parameters, Float32)")
        }
        let started = Date()
        let summary = try GGUFModelConversion(GGUFFile(contentsOf: source)).write(to: destination)
        let types = summary.storedTypes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("wrote \(out): config.json, model.safetensors (\(summary.parameterCount.formatted()) parameters, Float32), tokenizer.json, tokenizer_config.json")
        print("from a \(summary.architecture) GGUF with tensors \(types), in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        for note in summary.notes { print("note: \(note)") }
    }
}
