import Foundation
import Model
import Store

/// A store in a temporary directory, created from a small random Llama model folder.
struct TemporaryStore {
    let directory: URL
    let store: CheckpointStore
    let baseModel: LlamaModel

    static let config = LlamaConfig(vocabSize: 64, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                                    headCount: 4, keyValueHeadCount: 2, tieWordEmbeddings: true)

    init(settings: StoreSettings = StoreSettings()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-store-\(UUID().uuidString)")
        let folder = directory.appendingPathComponent("model")
        baseModel = LlamaModel(config: Self.config)
        baseModel.initializeRandomly(seed: 11)
        try ModelFolder.write(baseModel, to: folder)
        try Data("{\"tokenizer\": true}".utf8).write(to: folder.appendingPathComponent("tokenizer.json"))
        store = try CheckpointStore.create(at: directory.appendingPathComponent("store"), importing: folder, settings: settings)
    }

    var root: URL { directory.appendingPathComponent("store") }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// A copy of `model` with a few tensors nudged, as a training step would.
    static func nudged(_ model: LlamaModel, seed: UInt64, onlyMLP: Bool = false) -> LlamaModel {
        let copy = LlamaModel(config: model.config)
        copy.parameters.update(fromContentsOf: model.parameters)
        var generator = SeededGenerator(seed: seed)
        for tensor in copy.layout.tensors where !onlyMLP || tensor.name.contains("mlp") {
            for i in 0..<tensor.count { copy.parameters[tensor.offset + i] += 1e-3 * generator.nextGaussian() }
        }
        return copy
    }

    static func bytes(of model: LlamaModel) throws -> [UInt8] {
        try SafeTensorsWriter.serialize(model.safeTensors, metadata: ["format": "pt"])
    }
}
