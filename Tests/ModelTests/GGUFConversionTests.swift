import Foundation
import Kernels
import Model
import XCTest

/// GGUF files converted to Hugging Face folders, against what transformers' GGUF loader makes
/// of the same files (Tests/Fixtures/make_gguf_fixtures.py): config, un-permuted weights,
/// logits of Lethe's forward pass, tokenizer.json and tokenizer_config.json.
final class GGUFConversionTests: XCTestCase {
    static let tinyModels = ["tiny_gpt2", "tiny_spm"]
    /// Every tiny model, qwen2 (q/k/v biases, no permutation) included, for weights and logits.
    static let tinyModelsOfEveryArchitecture = tinyModels + ["tiny_qwen2"]

    private func converted(_ name: String) throws -> (folder: URL, summary: GGUFModelConversion.Summary) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-gguf-test-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let file = try GGUFFile(contentsOf: GGUFFixtures.url("\(name)/model.gguf"))
        return (folder, try GGUFModelConversion(file).write(to: folder))
    }

    private func jsonObject(_ url: URL) throws -> [String: JSONValue] {
        guard case .object(let object) = try GGUFFixtures.json(Array(Data(contentsOf: url))) else {
            throw XCTSkip("\(url.path) is not a JSON object")
        }
        return object
    }

    func testConfigHasTheFieldsTransformersReads() throws {
        for name in Self.tinyModels {
            let (folder, summary) = try converted(name)
            XCTAssertEqual(summary.architecture, "llama")
            XCTAssertTrue(summary.notes.isEmpty)
            let config = try jsonObject(folder.appendingPathComponent("config.json"))
            let expected = try jsonObject(GGUFFixtures.url("\(name)/expected/config.json"))
            for key in ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                        "head_dim", "max_position_embeddings", "vocab_size", "tie_word_embeddings", "bos_token_id",
                        "eos_token_id", "pad_token_id", "model_type"] {
                XCTAssertEqual(config[key], expected[key], "\(name): \(key)")
            }
            XCTAssertEqual(try XCTUnwrap(config["rms_norm_eps"]?.doubleValue), try XCTUnwrap(expected["rms_norm_eps"]?.doubleValue),
                           accuracy: 1e-12, name)
            guard case .object(let rope)? = config["rope_parameters"], case .object(let expectedRope)? = expected["rope_parameters"] else {
                return XCTFail("\(name): rope_parameters missing")
            }
            XCTAssertEqual(rope["rope_theta"], expectedRope["rope_theta"], name)
            XCTAssertEqual(rope["rope_type"], expectedRope["rope_type"], name)
        }
    }

    func testWeightsAreTransformersOwnAfterUndoingThePermutation() throws {
        for name in Self.tinyModelsOfEveryArchitecture {
            let model = try ModelFolder.load(converted(name).folder)
            let expected = try GGUFFixtures.safeTensors("\(name)/expected/weights.safetensors.zst")
            for tensor in model.layout.tensors {
                let reference = try expected.floats(tensor.name)
                let values = UnsafeBufferPointer(rebasing: model.parameters[tensor.offset..<tensor.offset + tensor.count])
                // Both dequantize the same bits in Float32; an un-permutation error moves whole rows.
                let worst = zip(values, reference).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-6, "\(name): \(tensor.name)")
            }
        }
    }

    func testLogitsOfTheConvertedFolderMatchTransformersOnTheGGUF() throws {
        struct Inputs: Decodable { let sequences: [[Int]] }
        for name in Self.tinyModelsOfEveryArchitecture {
            let model = try ModelFolder.load(converted(name).folder)
            let inputs = try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: GGUFFixtures.url("\(name)/inputs.json")))
            let expected = try GGUFFixtures.safeTensors("\(name)/expected/logits.safetensors.zst")
            for (index, sequence) in inputs.sequences.enumerated() {
                let ones = [Array(repeating: 1, count: sequence.count)]
                try model.forward(TokenBatch(inputIDs: [sequence], attentionMask: ones, labels: [sequence]))
                let reference = try expected.floats("logits.\(index)")
                XCTAssertEqual(reference.count, sequence.count * model.config.vocabSize)
                var worst: Float = 0
                for i in 0..<reference.count { worst = max(worst, abs(model.logits[i] - reference[i])) }
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(name), sequence \(index): logits max abs difference")
            }
        }
    }

    func testTokenizerFilesHoldWhatTransformersBuildsFromTheGGUF() throws {
        for name in Self.tinyModels {
            let folder = try converted(name).folder
            let conversion = try GGUFTokenizerConversion(GGUFFile(contentsOf: GGUFFixtures.url("\(name)/model.gguf")))
            try assertSameTokenizer(conversion, expected: "\(name)/expected")
            // The file written is that conversion (its vocabulary is compared above, by bytes).
            guard case .object(var written) = try GGUFFixtures.json(Array(Data(contentsOf: folder.appendingPathComponent("tokenizer.json")))),
                  case .object(var model)? = written["model"], case .object(let vocabulary)? = model.removeValue(forKey: "vocab")
            else { return XCTFail("\(name): tokenizer.json has no model.vocab") }
            written["model"] = .object(model)
            XCTAssertEqual(.object(written), conversion.tokenizer, name)
            XCTAssertEqual(vocabulary.count, conversion.vocabulary.count, name)
            let config = try jsonObject(folder.appendingPathComponent("tokenizer_config.json"))
            let expected = try jsonObject(GGUFFixtures.url("\(name)/expected/tokenizer_config.json"))
            for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
                XCTAssertEqual(config[key], expected[key], "\(name): \(key)")
            }
            let template = try String(contentsOf: GGUFFixtures.url("\(name)/expected/chat_template.jinja"), encoding: .utf8)
            XCTAssertEqual(config["chat_template"], .string(template), name)
            XCTAssertEqual(config["add_bos_token"], .bool(true), name)
            XCTAssertEqual(config["add_eos_token"], .bool(false), name)
        }
    }

    func testLlama2VocabularyRecoversTheMergesTransformersRecovers() throws {
        let file = try GGUFFile(contentsOf: GGUFFixtures.url("llama_spm/vocab.gguf"))
        XCTAssertTrue(file.tensors.isEmpty)
        try assertSameTokenizer(GGUFTokenizerConversion(file), expected: "llama_spm/expected")
        // Its metadata describes Llama 2 7B, which it holds no tensor of: refused before 26 GB are allocated.
        XCTAssertThrowsError(try GGUFModelConversion(file).loadLlama()) { error in
            XCTAssertEqual(error as? GGUFError, .missingTensor(file: file.path, tensor: "model.embed_tokens.weight"))
        }
    }

    func testSmolLM2VocabularyBuildsTheTokenizerTransformersBuilds() throws {
        // SmolLM2-135M-Instruct's tokenizer keys (gpt2 model, pre "smollm": GPT-2's own ByteLevel).
        let file = try GGUFFile(bytes: GGUFFixtures.decompressed("smollm2/vocab.gguf.zst"), name: "smollm2 vocab.gguf")
        let conversion = try GGUFTokenizerConversion(file)
        try assertSameTokenizer(conversion, expected: "smollm2/expected")
        guard case .object(let config) = conversion.tokenizerConfig,
              case .object(let expected) = try GGUFFixtures.json(Array(Data(contentsOf: GGUFFixtures.url("smollm2/expected/tokenizer_config.json"))))
        else { return XCTFail("tokenizer_config.json is not an object") }
        for key in ["bos_token", "eos_token", "unk_token", "pad_token"] { XCTAssertEqual(config[key], expected[key], key) }
        let template = try String(contentsOf: GGUFFixtures.url("smollm2/expected/chat_template.jinja"), encoding: .utf8)
        XCTAssertEqual(config["chat_template"], .string(template))
        XCTAssertEqual(config["add_bos_token"], .bool(false))
    }

    func testQwen2IsConvertedWithItsBiases() throws {
        let (folder, summary) = try converted("tiny_qwen2")
        XCTAssertEqual(summary.architecture, "qwen2")
        XCTAssertTrue(summary.notes.isEmpty, "\(summary.notes)")
        let config = try jsonObject(folder.appendingPathComponent("config.json"))
        let expected = try jsonObject(GGUFFixtures.url("tiny_qwen2/expected/config.json"))
        for key in ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                    "max_position_embeddings", "vocab_size", "tie_word_embeddings", "bos_token_id", "eos_token_id", "model_type"] {
            XCTAssertEqual(config[key], expected[key], "tiny_qwen2: \(key)")
        }
        let weights = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("model.safetensors"))
        let reference = try GGUFFixtures.safeTensors("tiny_qwen2/expected/weights.safetensors.zst")
        // transformers' state dict also lists the tied lm_head.weight, which the file leaves out.
        XCTAssertEqual(Set(weights.tensors.map(\.name)), Set(reference.tensors.map(\.name)).subtracting(["lm_head.weight"]))
        for info in weights.tensors {
            let worst = zip(try weights.floats(info.name), try reference.floats(info.name)).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-6, info.name)
        }
        XCTAssertTrue(try ModelFolder.load(folder).config.queryKeyValueBias)
        try assertSameTokenizer(GGUFTokenizerConversion(GGUFFile(contentsOf: GGUFFixtures.url("tiny_qwen2/model.gguf"))),
                                expected: "tiny_qwen2/expected")
    }

    /// A llama GGUF of metadata only (head size 16, theta 10000) with `extra` keys and tensors.
    private func ropeConversion(_ extra: [(key: String, type: UInt32, value: [UInt8])],
                                tensors: [GGUFTestFile.Tensor] = []) throws -> GGUFModelConversion {
        var built = GGUFTestFile()
        built.metadata = [("general.architecture", 8, GGUFTestFile.string("llama"))]
        for (key, value) in [("embedding_length", 64), ("block_count", 1), ("feed_forward_length", 96), ("attention.head_count", 4),
                             ("context_length", 8192), ("vocab_size", 32)] {
            built.metadata.append(("llama.\(key)", 4, GGUFTestFile.le(UInt32(value))))
        }
        built.metadata += extra
        built.tensors = tensors
        return try GGUFModelConversion(GGUFFile(bytes: built.build().bytes, name: "r.gguf"))
    }

    func testRopeScalingKeysBecomeRopeParameters() throws {
        let linear = try ropeConversion([("llama.rope.scaling.type", 8, GGUFTestFile.string("linear")),
                                         ("llama.rope.scaling.factor", 6, GGUFTestFile.le(Float(4).bitPattern)),
                                         ("llama.rope.scaling.original_context_length", 4, GGUFTestFile.le(UInt32(2048)))])
        XCTAssertEqual(linear.config["rope_parameters"], .object([
            "rope_type": .string("linear"), "factor": .number(4), "original_max_position_embeddings": .number(2048),
            "rope_theta": .number(10000),
        ]))
        XCTAssertEqual(linear.config["max_position_embeddings"], .number(8192))
        XCTAssertEqual(try LlamaConfig(fields: linear.config).ropeScaling, .linear(factor: 4))
        let yarn = try ropeConversion([("llama.rope.scaling.type", 8, GGUFTestFile.string("yarn")),
                                       ("llama.rope.scaling.factor", 6, GGUFTestFile.le(Float(4).bitPattern))])
        XCTAssertThrowsError(try yarn.loadLlama()) { error in
            XCTAssertTrue("\(error)".contains("rope_parameters") && "\(error)".contains("yarn"), "\(error)")
        }
    }

    /// llama.cpp's convert_hf_to_gguf.py divisors for a Llama 3.1 scaling, transcribed.
    private func llamaCppRopeDivisors(factor: Double, low: Double, high: Double, context: Double) -> [Float] {
        (0..<8).map { i in
            let wavelength = 2 * Double.pi * pow(10000, Double(2 * i) / 16)
            if wavelength < context / high { return 1 }
            if wavelength > context / low { return Float(factor) }
            let smooth = (context / wavelength - low) / (high - low)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }

    /// rope_freqs.weight becomes llama3 rope_parameters whose frequencies are the stored
    /// divisors applied: here with two frequencies in the interpolated band (high_freq_factor
    /// 8, not Llama 3.1's 4), so both band edges are recovered from the tensor.
    func testLlama3RopeFactorsTensorBecomesEquivalentRopeParameters() throws {
        let divisors = llamaCppRopeDivisors(factor: 8, low: 1, high: 8, context: 8192)
        XCTAssertEqual(divisors.filter { $0 != 1 && $0 != 8 }.count, 2, "two frequencies in the band")
        let conversion = try ropeConversion([], tensors: [
            GGUFTestFile.Tensor(name: "rope_freqs.weight", dimensions: [8], type: 0, offset: nil, data: GGUFTestFile.floats(divisors)),
        ])
        let config = try LlamaConfig(fields: conversion.config)
        guard case .llama3(let factor, let low, let high, let original)? = config.ropeScaling else {
            return XCTFail("\(String(describing: config.ropeScaling))")
        }
        XCTAssertEqual(factor, 8)
        XCTAssertEqual(low, 1, accuracy: 1e-3)
        XCTAssertEqual(high, 8, accuracy: 1e-3)
        XCTAssertEqual(original, 8192)
        let base = RotaryTable.inverseFrequencies(headDim: 16, theta: 10000)
        for (i, frequency) in config.rotaryInverseFrequencies(sequenceLength: 1).enumerated() {
            XCTAssertEqual(frequency, base[i] / divisors[i], accuracy: 1e-5 * base[i], "frequency \(i)")
        }
        let ones = try ropeConversion([], tensors: [
            GGUFTestFile.Tensor(name: "rope_freqs.weight", dimensions: [8], type: 0, offset: nil, data: GGUFTestFile.floats([Float](repeating: 1, count: 8))),
        ])
        XCTAssertNil(try LlamaConfig(fields: ones.config).ropeScaling, "divisors of 1 scale nothing")
    }

    func testRopeFactorsNoLlama3ScalingWritesAreRefusedNamingTheTensor() throws {
        var divisors = llamaCppRopeDivisors(factor: 8, low: 1, high: 8, context: 8192)
        divisors.swapAt(0, 7)  // the highest frequency divided most: no llama3 scaling does that
        for (values, words) in [(divisors, "divisor"), ([Float](repeating: 2, count: 4), "one per rotary frequency")] {
            let tensor = GGUFTestFile.Tensor(name: "rope_freqs.weight", dimensions: [UInt64(values.count)], type: 0, offset: nil,
                                             data: GGUFTestFile.floats(values))
            XCTAssertThrowsError(try ropeConversion([], tensors: [tensor])) { error in
                guard case .invalidValue(_, let key, let reason)? = error as? GGUFError else { return XCTFail("\(error)") }
                XCTAssertEqual(key, "rope_freqs.weight")
                XCTAssertTrue(reason.contains(words), reason)
            }
        }
    }

    func testAnArchitectureLetheCannotConvertIsRefusedByName() throws {
        var built = GGUFTestFile()
        built.metadata = [("general.architecture", 8, GGUFTestFile.string("gemma2"))]
        let file = try GGUFFile(bytes: built.build().bytes, name: "g.gguf")
        XCTAssertThrowsError(try GGUFModelConversion(file)) { error in
            XCTAssertEqual(error as? GGUFError, .unsupportedArchitecture(file: "g.gguf", architecture: "gemma2"))
        }
    }

}

/// Compares a conversion with the tokenizer.json transformers wrote (in `folder`, with its
/// vocabulary also as a list, vocab.json.zst) section by section, key order aside, so that a
/// difference names the section and, for the model, the field.
func assertSameTokenizer(_ conversion: GGUFTokenizerConversion, expected folder: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
    let name = folder
    guard case .object(let a) = conversion.tokenizer,
          case .object(let e) = try GGUFFixtures.json(GGUFFixtures.decompressed("\(folder)/tokenizer.json.zst"))
    else { return XCTFail("\(name): not objects", file: file, line: line) }
    XCTAssertEqual(Set(a.keys), Set(e.keys), "\(name): sections", file: file, line: line)
    for key in e.keys where key != "model" {
        XCTAssertEqual(a[key], e[key], "\(name): \(key)", file: file, line: line)
    }
    guard case .object(let model)? = a["model"], case .object(let expectedModel)? = e["model"] else {
        return XCTFail("\(name): model missing", file: file, line: line)
    }
    XCTAssertEqual(Set(model.keys).union(["vocab"]), Set(expectedModel.keys), "\(name): model fields", file: file, line: line)
    for key in expectedModel.keys where key != "merges" && key != "vocab" {
        XCTAssertEqual(model[key], expectedModel[key], "\(name): model.\(key)", file: file, line: line)
    }
    struct Entry: Decodable, Equatable {
        let token: String, id: Int
        init(from decoder: Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            (token, id) = (try pair.decode(String.self), try pair.decode(Int.self))
        }
        // By bytes: tokens that are canonically equivalent are still different tokens.
        static func == (a: Entry, b: Entry) -> Bool { a.id == b.id && Array(a.token.utf8) == Array(b.token.utf8) }
    }
    let expectedVocabulary = try JSONDecoder().decode([Entry].self, from: Data(GGUFFixtures.decompressed("\(folder)/vocab.json.zst")))
    XCTAssertEqual(conversion.vocabulary.count, expectedVocabulary.count, "\(name): vocabulary size", file: file, line: line)
    if let first = zip(conversion.vocabulary, expectedVocabulary).enumerated().first(where: {
        $0.element.0.id != $0.element.1.id || Array($0.element.0.token.utf8) != Array($0.element.1.token.utf8)
    }) {
        XCTFail("\(name): vocabulary entry \(first.offset) is \(first.element.0), transformers has \(first.element.1.token.debugDescription): \(first.element.1.id)",
                file: file, line: line)
    }
    guard case .array(let merges)? = model["merges"], case .array(let expectedMerges)? = expectedModel["merges"] else {
        return XCTFail("\(name): merges missing", file: file, line: line)
    }
    XCTAssertEqual(merges.count, expectedMerges.count, "\(name): merge count", file: file, line: line)
    // By bytes, as the vocabulary: JSONValue's strings compare canonically.
    func bytes(_ merge: JSONValue) -> [[UInt8]] { merge.arrayValue?.map { Array(($0.stringValue ?? "").utf8) } ?? [] }
    if let first = zip(merges, expectedMerges).enumerated().first(where: { bytes($0.element.0) != bytes($0.element.1) })?.offset {
        XCTFail("\(name): merge \(first) is \(merges[first]), transformers has \(expectedMerges[first])", file: file, line: line)
    }
}
