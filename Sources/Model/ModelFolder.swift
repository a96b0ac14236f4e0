import Foundation

/// What is wrong with a Hugging Face model folder, naming the file and the tensor.
public enum ModelFolderError: Error, Equatable, CustomStringConvertible {
    case missingWeights(folder: String)
    case unreadableCompressedWeights(path: String, reason: String)
    case invalidShardIndex(path: String, reason: String)
    case missingTensor(name: String, file: String)
    case unexpectedTensor(name: String, file: String)
    case shapeMismatch(name: String, file: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingWeights(let folder):
            "\(folder) has none of model.safetensors, model.safetensors.zst and model.safetensors.index.json"
        case .unreadableCompressedWeights(let path, let reason):
            "\(path): \(reason)"
        case .invalidShardIndex(let path, let reason):
            "\(path): \(reason)"
        case .missingTensor(let name, let file):
            "\(file) lacks tensor '\(name)', which this config.json requires"
        case .unexpectedTensor(let name, let file):
            "\(file) has tensor '\(name)', which a Llama model with this config.json does not have"
        case .shapeMismatch(let name, let file, let expected, let found):
            "\(file): tensor '\(name)' has shape \(found), config.json implies \(expected)"
        }
    }
}

/// A Hugging Face model folder: `config.json` and the weights, in one `model.safetensors`
/// or sharded as `model-0000X-of-0000Y.safetensors` listed by `model.safetensors.index.json`.
/// Lethe also reads `model.safetensors.zst` (the file compressed with zstd), which is how
/// `Checkpoints/base` ships its weights.
public enum ModelFolder {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let compressedWeightsFile = "model.safetensors.zst"
    public static let shardIndexFile = "model.safetensors.index.json"

    /// Loads the config and the weights (F32, F16 or BF16, converted to Float32).
    public static func load(_ folder: URL) throws -> LlamaModel {
        let config = try LlamaConfig(contentsOf: folder.appendingPathComponent(configFile))
        let model = LlamaModel(config: config)
        let files = try weightFiles(in: folder)
        var loaded = Set<String>()
        for file in files {
            // Float32 is the widest dtype a Llama tensor is loaded from; a compressed file that
            // restores more than the model could hold is refused while it decompresses.
            let byteLimit = 4 * model.layout.count + SafeTensorsFile.maximumHeaderByteCount + 8
            let tensors = try openWeights(folder.appendingPathComponent(file), byteLimit: byteLimit)
            loaded.formUnion(try model.loadWeights(from: tensors, fileName: file, requireAll: false))
        }
        if let missing = model.layout.tensors.first(where: { !loaded.contains($0.name) }) {
            throw ModelFolderError.missingTensor(name: missing.name, file: files.joined(separator: ", "))
        }
        return model
    }

    /// The safetensors files of the folder, in shard order.
    static func weightFiles(in folder: URL) throws -> [String] {
        let fileManager = FileManager.default
        for single in [weightsFile, compressedWeightsFile] where fileManager.fileExists(atPath: folder.appendingPathComponent(single).path) {
            return [single]
        }
        let indexURL = folder.appendingPathComponent(shardIndexFile)
        guard fileManager.fileExists(atPath: indexURL.path) else { throw ModelFolderError.missingWeights(folder: folder.path) }
        guard let data = try? Data(contentsOf: indexURL),
              case .object(let index)? = try? JSONDecoder().decode(JSONValue.self, from: data),
              case .object(let weightMap)? = index["weight_map"]
        else { throw ModelFolderError.invalidShardIndex(path: indexURL.path, reason: "'weight_map' must be an object") }
        var files: [String] = []
        for (name, value) in weightMap {
            // A shard name is a plain file name inside the folder, never a path.
            guard let file = value.stringValue, !file.isEmpty, !file.contains("/"), file != ".", file != ".." else {
                throw ModelFolderError.invalidShardIndex(path: indexURL.path, reason: "tensor '\(name)' maps to an invalid file name")
            }
            if !files.contains(file) { files.append(file) }
        }
        return files.sorted()
    }

    /// Whether `name` holds weights (as opposed to config and tokenizer files).
    public static func isWeightsFile(_ name: String) -> Bool {
        name.hasSuffix(".safetensors") || name == compressedWeightsFile || name == shardIndexFile
    }

    /// A safetensors file, mapped, or restored into memory when it is zstd-compressed.
    static func openWeights(_ url: URL, byteLimit: Int) throws -> SafeTensorsFile {
        guard url.lastPathComponent.hasSuffix(".zst") else { return try SafeTensorsFile(contentsOf: url) }
        let compressed = try Data(contentsOf: url, options: .alwaysMapped)
        do {
            let bytes = try compressed.withUnsafeBytes { buffer throws(ZstdStreamError) in
                try ZstdStream.decompress(buffer, byteLimit: byteLimit)
            }
            return try SafeTensorsFile(bytes: bytes)
        } catch let error as ZstdStreamError {
            throw ModelFolderError.unreadableCompressedWeights(path: url.path, reason: error.description)
        } catch let error as SafeTensorsError {
            throw ModelFolderError.unreadableCompressedWeights(path: url.path, reason: "the restored safetensors file is invalid: \(error)")
        }
    }

    /// Writes `config.json` and `model.safetensors` (Float32) into `folder`, which is created if needed.
    public static func write(_ model: LlamaModel, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try model.config.write(to: folder.appendingPathComponent(configFile))
        try SafeTensorsWriter.write(model.safeTensors, metadata: ["format": "pt"], to: folder.appendingPathComponent(weightsFile))
    }
}

extension LlamaModel {
    /// Copies the file's tensors into the parameter buffer. Each must be a tensor of the
    /// layout with the same shape; a tied model ignores a stored `lm_head.weight`, and the
    /// rotary `inv_freq` buffers of old checkpoints are skipped. With `requireAll`, every
    /// tensor of the layout must be in the file. Returns the names of the tensors loaded.
    @discardableResult
    public func loadWeights(from file: SafeTensorsFile, fileName: String, requireAll: Bool = true) throws -> Set<String> {
        var loaded = Set<String>()
        for info in file.tensors {
            guard let tensor = layout.tensor(named: info.name) else {
                if info.name.hasSuffix("rotary_emb.inv_freq") || (config.tieWordEmbeddings && info.name == "lm_head.weight") {
                    continue
                }
                throw ModelFolderError.unexpectedTensor(name: info.name, file: fileName)
            }
            guard info.shape == tensor.shape else {
                throw ModelFolderError.shapeMismatch(name: info.name, file: fileName, expected: tensor.shape, found: info.shape)
            }
            try file.readFloats(info.name, into: UnsafeMutableBufferPointer(rebasing: parameters[tensor.offset..<tensor.offset + tensor.count]))
            loaded.insert(info.name)
        }
        if requireAll, let missing = layout.tensors.first(where: { file.info($0.name) == nil }) {
            throw ModelFolderError.missingTensor(name: missing.name, file: fileName)
        }
        return loaded
    }

    /// The parameters as safetensors entries with their Hugging Face names (views, no copies).
    public var safeTensors: [SafeTensorsWriter.Tensor] {
        layout.tensors.map { tensor in
            SafeTensorsWriter.Tensor(name: tensor.name, shape: tensor.shape,
                                     values: UnsafeBufferPointer(rebasing: parameters[tensor.offset..<tensor.offset + tensor.count]))
        }
    }
}
