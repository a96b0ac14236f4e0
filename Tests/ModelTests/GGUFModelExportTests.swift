import Foundation
@testable import Model
import XCTest

/// Models written as GGUF and read back by the project's own GGUF import: the same weights,
/// logits and tokens for F32, F16/BF16 within their rounding, the quantised types exactly as
/// `GGUFServedType.servedParameters` says, and llama-quantize's tensor types for Q4_K_M.
final class GGUFModelExportTests: XCTestCase {
    private func temporary(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-gguf-export-\(UUID().uuidString)-\(name)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A tiny fixture model (gpt2 tokenizer; llama or qwen2) as a Hugging Face folder.
    private func folder(_ name: String) throws -> URL {
        let folder = temporary(name)
        try GGUFModelConversion(GGUFFile(contentsOf: GGUFFixtures.url("\(name)/model.gguf"))).write(to: folder)
        return folder
    }

    private func exported(_ model: LlamaModel, folder: URL, as type: GGUFServedType) throws -> GGUFFile {
        let url = temporary("\(type.name).gguf")
        try GGUFModelExport.write(model, modelFolder: folder, name: "test", as: type, to: url)
        return try GGUFFile(contentsOf: url)
    }

    private func logits(of model: LlamaModel, _ sequence: [Int]) throws -> [Float] {
        try model.forward(TokenBatch(inputIDs: [sequence], attentionMask: [Array(repeating: 1, count: sequence.count)], labels: [sequence]))
        return Array(model.logits.prefix(sequence.count * model.config.vocabSize))
    }

    func testF32ExportLoadsBackWithTheSameWeightsLogitsAndTokens() throws {
        for name in ["tiny_gpt2", "tiny_qwen2"] {
            let source = try folder(name)
            let model = try ModelFolder.load(source)
            let file = try exported(model, folder: source, as: .f32)
            let conversion = try GGUFModelConversion(file)
            XCTAssertEqual(conversion.architecture, name == "tiny_qwen2" ? "qwen2" : "llama")
            let loaded = try conversion.loadLlama()
            XCTAssertEqual(loaded.config.jsonObject.filter { $0.key != "architectures" && $0.key != "pad_token_id" },
                           model.config.jsonObject.filter { $0.key != "architectures" && $0.key != "pad_token_id" }, name)
            XCTAssertTrue(Array(loaded.parameters) == Array(model.parameters), "\(name): F32 weights come back exactly")
            let sequence = [5, 17, 99, 3, 250, 42]
            let (expected, found) = (try logits(of: model, sequence), try logits(of: loaded, sequence))
            XCTAssertLessThanOrEqual(zip(expected, found).map { abs($0 - $1) }.max()!, 1e-5, name)

            let tokenizerFolder = temporary("\(name)-tokenizer")
            try conversion.write(to: tokenizerFolder)
            func specialTokens(_ folder: URL) throws -> [JSONValue?] {
                let config = try GGUFFixtures.json(Array(Data(contentsOf: folder.appendingPathComponent(Tokenizer.configFileName))))
                return ["bos_token", "eos_token", "unk_token", "pad_token", "add_bos_token", "add_eos_token", "chat_template"].map { config.objectValue?[$0] }
            }
            XCTAssertEqual(try specialTokens(tokenizerFolder), try specialTokens(source), name)
            let original = try Tokenizer(modelFolder: source), roundTripped = try Tokenizer(modelFolder: tokenizerFolder)
            for text in ["Hello, world!", "  two  spaces and 12345 digits", "naïve café – ünïcödé", "line\nbreak\ttab"] {
                XCTAssertEqual(roundTripped.encode(text), original.encode(text), "\(name): \(text)")
                XCTAssertEqual(roundTripped.encode(text, addSpecialTokens: true), original.encode(text, addSpecialTokens: true), "\(name): \(text)")
            }
        }
    }

    func testRopeScalingComesBackAsTheSameScaling() throws {
        let source = try folder("tiny_gpt2")
        let model = try ModelFolder.load(source)
        let scalings: [JSONValue] = [
            .object(["rope_type": .string("linear"), "factor": .number(2), "rope_theta": .number(10000)]),
            .object(["rope_type": .string("llama3"), "factor": .number(8), "low_freq_factor": .number(1), "high_freq_factor": .number(4),
                     "original_max_position_embeddings": .number(8192), "rope_theta": .number(10000)]),
        ]
        for scaling in scalings {
            var fields = model.config.fields
            fields["rope_parameters"] = scaling
            let scaled = LlamaModel(config: try LlamaConfig(fields: fields))
            scaled.parameters.baseAddress!.update(from: model.parameters.baseAddress!, count: model.parameters.count)
            let file = try exported(scaled, folder: source, as: .f32)
            let loaded = try GGUFModelConversion(file).loadLlama()
            XCTAssertNotNil(scaled.config.ropeScaling)
            XCTAssertEqual(loaded.config.ropeScaling, scaled.config.ropeScaling, "\(scaling)")
        }
    }

    func testF16AndBF16ExportsStayWithinTheirRounding() throws {
        let source = try folder("tiny_gpt2")
        let model = try ModelFolder.load(source)
        for (type, relative) in [(GGUFServedType.f16, Float(0x1p-11)), (.bf16, Float(0x1p-8))] {
            let loaded = try GGUFModelConversion(exported(model, folder: source, as: type)).loadLlama()
            for i in 0..<model.parameters.count where abs(loaded.parameters[i] - model.parameters[i]) > relative * abs(model.parameters[i]) + 1e-7 {
                XCTFail("\(type.name): parameter \(i) is \(loaded.parameters[i]), from \(model.parameters[i])")
                break
            }
        }
    }

    func testQuantisedExportsHoldExactlyTheServedParameters() throws {
        let source = try folder("tiny_gpt2")
        let model = try ModelFolder.load(source)
        for type in GGUFServedType.allCases {
            let loaded = try GGUFModelConversion(exported(model, folder: source, as: type)).loadLlama()
            XCTAssertTrue(Array(loaded.parameters) == type.servedParameters(of: model), "\(type.name): the file holds what the gate scores")
            let served = type.servedModel(of: model)
            withExtendedLifetime(served) {
                XCTAssertTrue(Array(served.parameters) == Array(loaded.parameters), "\(type.name): the gate's served model too")
            }
        }
        XCTAssertEqual(GGUFServedType.q8_0.servedParameters(of: model), GGUFServedType.q8_0.servedParameters(of: model), "deterministic")
    }

    func testASentencePieceTokenizerIsRefusedByName() throws {
        let source = try folder("tiny_spm")
        XCTAssertThrowsError(try exported(ModelFolder.load(source), folder: source, as: .f16)) { error in
            XCTAssertTrue("\(error)".contains("byte-level BPE tokenizers"), "\(error)")
        }
    }

    /// A config of `layers` layers and hidden size `hidden` (tied embeddings).
    private func layout(layers: Int, hidden: Int) throws -> ParameterLayout {
        ParameterLayout(config: try LlamaConfig(fields: [
            "hidden_size": .number(Double(hidden)), "intermediate_size": .number(1536), "num_hidden_layers": .number(Double(layers)),
            "num_attention_heads": .number(4), "num_key_value_heads": .number(2), "vocab_size": .number(512),
            "tie_word_embeddings": .bool(true),
        ]))
    }

    func testQ4_K_MGivesTheTensorTypesLlamaQuantizeGives() throws {
        let types = GGUFServedType.q4_k_m.storedTypes(of: try layout(layers: 8, hidden: 512))
        XCTAssertEqual(types["model.embed_tokens.weight"], .q6_K, "tied embeddings are the output: 6 bits")
        XCTAssertEqual(types["model.norm.weight"], .f32)
        XCTAssertEqual(types["model.layers.1.input_layernorm.weight"], .f32)
        // use_more_bits for 8 layers: layers 0, 3, 6 and 7.
        for layer in 0..<8 {
            let moreBits: GGMLType = [0, 3, 6, 7].contains(layer) ? .q6_K : .q4_K
            XCTAssertEqual(types["model.layers.\(layer).self_attn.v_proj.weight"], moreBits, "attn_v, layer \(layer)")
            XCTAssertEqual(types["model.layers.\(layer).mlp.down_proj.weight"], moreBits, "ffn_down, layer \(layer)")
            XCTAssertEqual(types["model.layers.\(layer).self_attn.q_proj.weight"], .q4_K)
            XCTAssertEqual(types["model.layers.\(layer).mlp.up_proj.weight"], .q4_K)
        }
        // SmolLM2's 576-wide rows are not super-blocks: Q5_0 for Q4_K, Q8_0 for Q6_K.
        let narrow = GGUFServedType.q4_k_m.storedTypes(of: try layout(layers: 8, hidden: 576))
        XCTAssertEqual(narrow["model.embed_tokens.weight"], .q8_0)
        XCTAssertEqual(narrow["model.layers.1.self_attn.q_proj.weight"], .q5_0)
        XCTAssertEqual(narrow["model.layers.0.self_attn.v_proj.weight"], .q8_0)
        XCTAssertEqual(narrow["model.layers.0.mlp.down_proj.weight"], .q6_K, "its rows are 1536 long")
        let q4 = GGUFServedType.q4_0.storedTypes(of: try layout(layers: 2, hidden: 512))
        XCTAssertEqual(q4["model.embed_tokens.weight"], .q6_K)
        XCTAssertEqual(q4["model.layers.1.mlp.down_proj.weight"], .q4_0)
        XCTAssertEqual(GGUFServedType.q8_0.storedTypes(of: try layout(layers: 2, hidden: 512))["model.embed_tokens.weight"], .q8_0)
    }

    func testServedTypesAreNamedAsConfigurationsNameThem() {
        XCTAssertEqual(GGUFServedType.allCases.map(\.name), ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"])
        XCTAssertEqual(GGUFServedType(name: "q4_k_m"), .q4_k_m)
        XCTAssertNil(GGUFServedType(name: "Q4_K_M"))
    }
}
