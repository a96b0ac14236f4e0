import ArgumentParser
import Foundation
import Model

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a Hugging Face Llama model folder as one Float32 model.safetensors.",
        discussion: "Reads F32, F16 or BF16 weights, single-file or sharded; writes config.json and model.safetensors into --out, which transformers loads as it is."
    )

    @Option(help: "The model folder to read.")
    var model: String
    @Option(help: "The folder to write (created if missing).")
    var out: String

    func run() throws {
        let loaded = try ModelFolder.load(URL(fileURLWithPath: model))
        try ModelFolder.write(loaded, to: URL(fileURLWithPath: out))
        print("wrote \(out)/config.json and \(out)/model.safetensors (\(loaded.layout.count.formatted()) parameters, Float32)")
    }
}
