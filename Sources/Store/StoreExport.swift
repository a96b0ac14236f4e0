import Foundation
import Model

extension CheckpointStore {
    /// Writes a folder that `transformers` loads: the imported model's files (config,
    /// tokenizer) and the version's `model.safetensors`, verified on the way out.
    public func export(version: Int, to folder: URL) throws {
        let bytes = try loadSafeTensorsBytes(version: version)
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try fileManager.contentsOfDirectory(atPath: layout.modelFiles.path).sorted() {
            let data = try Data(contentsOf: layout.modelFiles.appendingPathComponent(name))
            try DurableFile.write(Array(data), to: folder.appendingPathComponent(name))
        }
        try DurableFile.write(bytes, to: folder.appendingPathComponent(ModelFolder.weightsFile))
    }
}
