import Foundation
import Model

extension CheckpointStore {
    /// Writes a version as a GGUF file of `type` that llama.cpp and Ollama serve, with the
    /// tokenizer and chat template of the store's model; the weights are verified on loading.
    public func exportGGUF(version: Int, type: GGUFServedType, to file: URL) throws {
        let model = try loadModel(version: version)
        try GGUFModelExport.write(model, modelFolder: layout.modelFiles, name: "Lethe version \(version)", as: type, to: file)
    }
}
