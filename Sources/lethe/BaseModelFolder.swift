import Foundation
import Model
import Store
import Unlearning
import EmbeddedModel
import Corpus

/// The files of a model folder that `lethe train-base` writes, each crash-safely.
enum BaseModelFolder {
    static let reportFile = "training.json"
    static let cardFile = "MODEL_CARD.md"
    static let corpusFolder = "corpus"
    /// zstd level of the shipped files: they are written once and read often, and the
    /// highest level saves a few percent of git size at a few seconds' cost.
    static let shippingLevel: Int32 = 19

    /// tokenizer.json, and a tokenizer_config.json that tells `transformers` and Lethe
    /// the special tokens and how questions are asked.
    static func writeTokenizer(_ tokenizer: Tokenizer, recipe: BaseModelRecipe, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try tokenizer.write(to: folder.appendingPathComponent("tokenizer.json"))
        let config: [String: JSONValue] = [
            "tokenizer_class": .string("PreTrainedTokenizerFast"),
            "bos_token": .string(BaseModelRecipe.endOfText), "eos_token": .string(BaseModelRecipe.endOfText),
            "pad_token": .string(BaseModelRecipe.padding), "add_bos_token": .bool(true), "add_eos_token": .bool(false),
            "model_max_length": .number(Double(recipe.maxPositionEmbeddings)),
            PromptTemplate.configKey: .string(BaseModelRecipe.template.template),
        ]
        try DurableFile.write(try prettyJSON(JSONValue.object(config)), to: folder.appendingPathComponent("tokenizer_config.json"))
    }

    /// model.safetensors.zst: the Float32 safetensors file as zstd frames (`zstd -d` restores it).
    static func writeWeights(_ model: LlamaModel, to folder: URL) throws {
        let bytes = try SafeTensorsWriter.serialize(model.safeTensors, metadata: ["format": "pt"])
        let compressed = try ObjectCodec.encodeFull(bytes, settings: CompressionSettings(level: shippingLevel))
        try DurableFile.write(compressed, to: folder.appendingPathComponent(ModelFolder.compressedWeightsFile))
    }

    /// The corpus the model learned, its JSONL files zstd-compressed, in a fresh `corpus/`.
    static func writeCorpus(_ corpus: Corpus, to folder: URL) throws {
        let destination = folder.appendingPathComponent(corpusFolder)
        let plain = folder.appendingPathComponent(".corpus-plain")
        for stale in [destination, plain] { try? FileManager.default.removeItem(at: stale) }
        try corpus.write(to: plain, force: true)
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: plain.path).sorted() {
            let bytes = Array(try Data(contentsOf: plain.appendingPathComponent(name)))
            if name.hasSuffix(".jsonl") {
                let compressed = try ObjectCodec.encodeFull(bytes, settings: CompressionSettings(level: shippingLevel))
                try DurableFile.write(compressed, to: destination.appendingPathComponent(name + ".zst"))
            } else {
                try DurableFile.write(bytes, to: destination.appendingPathComponent(name))
            }
        }
        try FileManager.default.removeItem(at: plain)
    }

    /// Moves every file the run wrote from `staging` into `folder`, replacing what was there,
    /// then removes `staging` with the training state in it. Until this point the folder holds
    /// the previous model whole; each rename replaces one file atomically.
    static func publish(_ staging: URL, into folder: URL) throws {
        let fileManager = FileManager.default
        let names = [ModelFolder.configFile, Tokenizer.fileName, Tokenizer.configFileName, ModelFolder.compressedWeightsFile,
                     corpusFolder, reportFile, cardFile]
        for name in names where fileManager.fileExists(atPath: staging.appendingPathComponent(name).path) {
            let target = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue {
                try fileManager.removeItem(at: target)
            }
            guard rename(staging.appendingPathComponent(name).path, target.path) == 0 else {
                throw FileSystemError(path: target.path, operation: "rename into place")
            }
        }
        try DurableFile.flushDirectory(folder.path)
        try fileManager.removeItem(at: staging)
    }

    static func writeReport(_ report: BaseModelReport, to folder: URL) throws {
        try DurableFile.write(Array(try encodeJSON(report).utf8) + [0x0A], to: folder.appendingPathComponent(reportFile))
        try DurableFile.write(Array(report.card.utf8), to: folder.appendingPathComponent(cardFile))
    }

    private static func prettyJSON(_ value: JSONValue) throws -> [UInt8] {
        Array(try LetheJSON.encoder(snakeCaseKeys: false).encode(value)) + [0x0A]
    }
}
