import Foundation
import Model
import XCTest

/// config.json of the Llama-shaped families: what each model_type implies (biases, the
/// sliding window), the rope scaling read from rope_scaling or rope_parameters, and the
/// configs refused, each naming its field.
final class LlamaConfigFamilyTests: XCTestCase {
    /// A small llama config in transformers 5.x form, with `changes` applied.
    private func fields(_ changes: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var fields = LlamaConfig(vocabSize: 64, hiddenSize: 32, intermediateSize: 32, layerCount: 2, headCount: 4,
                                 keyValueHeadCount: 2, maxPositionEmbeddings: 64).jsonObject
        fields.merge(changes) { $1 }
        return fields
    }

    private func rope(_ entries: [String: JSONValue]) -> JSONValue { .object(entries) }

    private func assertRefused(_ changes: [String: JSONValue], _ expected: LlamaConfigError, _ words: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LlamaConfig(fields: fields(changes)), file: file, line: line) { error in
            XCTAssertEqual(error as? LlamaConfigError, expected, file: file, line: line)
            if let words { XCTAssertTrue("\(error)".contains(words), "\(error)", file: file, line: line) }
        }
    }

    func testEachFamilyFixtureReadsAsItsModelType() throws {
        func config(_ name: String) throws -> LlamaConfig {
            try LlamaConfig(contentsOf: Fixtures.llamaFolder(name).appendingPathComponent("config.json"))
        }
        let qwen2 = try config("qwen2_bias"), mistral = try config("mistral_window"), bias = try config("llama_attention_bias")
        XCTAssertEqual([qwen2.queryKeyValueBias, qwen2.outputBias], [true, false])
        XCTAssertNil(qwen2.slidingWindow)
        XCTAssertEqual([bias.queryKeyValueBias, bias.outputBias], [true, true])
        XCTAssertEqual(mistral.slidingWindow, 3)
        XCTAssertEqual([mistral.queryKeyValueBias, mistral.outputBias], [false, false])
        XCTAssertEqual(try config("llama3_rope").ropeScaling,
                       .llama3(factor: 4, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 32))
        XCTAssertEqual(try config("linear_rope").ropeScaling, .linear(factor: 2))
        XCTAssertEqual(try config("dynamic_rope").ropeScaling, .dynamic(factor: 3))
        XCTAssertNil(try config("gqa_untied").ropeScaling)
    }

    /// q, k and v biases follow each other, so the fused projection's row has one bias row.
    func testQKVBiasesAreAdjacentAfterTheWeights() throws {
        let config = try LlamaConfig(fields: fields(["attention_bias": .bool(true)]))
        let layout = ParameterLayout(config: config)
        let q = try XCTUnwrap(layout.tensor(named: "model.layers.1.self_attn.q_proj.bias"))
        let k = try XCTUnwrap(layout.tensor(named: "model.layers.1.self_attn.k_proj.bias"))
        let v = try XCTUnwrap(layout.tensor(named: "model.layers.1.self_attn.v_proj.bias"))
        XCTAssertEqual([q.shape, k.shape, v.shape], [[32], [16], [16]])
        XCTAssertEqual([k.offset, v.offset], [q.offset + q.count, k.offset + k.count])
        XCTAssertEqual(layout.layers[1].qkvBias, q.offset)
        XCTAssertEqual(layout.tensor(named: "model.layers.1.self_attn.o_proj.bias")?.shape, [32])
        XCTAssertNil(ParameterLayout(config: try LlamaConfig(fields: fields())).tensor(named: "model.layers.0.self_attn.q_proj.bias"))
    }

    func testMistralWindowDefaultsTo4096AndNullTurnsItOff() throws {
        XCTAssertEqual(try LlamaConfig(fields: fields(["model_type": .string("mistral")])).slidingWindow, 4096)
        XCTAssertNil(try LlamaConfig(fields: fields(["model_type": .string("mistral"), "sliding_window": .null])).slidingWindow)
        XCTAssertNil(try LlamaConfig(fields: fields(["sliding_window": .number(3)])).slidingWindow, "llama has no window")
        assertRefused(["model_type": .string("mistral"), "sliding_window": .number(0)],
                      .invalidField("sliding_window", reason: "must be a positive integer"))
    }

    /// transformers 4.x: rope_scaling with the old "type" key, rope_theta at the top level;
    /// Llama 3's original_max_position_embeddings falls back to the top level, then to
    /// max_position_embeddings.
    func testRopeScalingOfTransformers4IsRead() throws {
        let linear = try LlamaConfig(fields: fields(["rope_parameters": .null, "rope_theta": .number(500),
                                                     "rope_scaling": rope(["type": .string("linear"), "factor": .number(4)])]))
        XCTAssertEqual(linear.ropeScaling, .linear(factor: 4))
        XCTAssertEqual(linear.ropeTheta, 500)
        let llama3 = rope(["rope_type": .string("llama3"), "factor": .number(8), "low_freq_factor": .number(1),
                           "high_freq_factor": .number(4)])
        XCTAssertEqual(try LlamaConfig(fields: fields(["rope_scaling": llama3, "original_max_position_embeddings": .number(16)])).ropeScaling,
                       .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 16))
        XCTAssertEqual(try LlamaConfig(fields: fields(["rope_scaling": llama3])).ropeScaling,
                       .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 64))
    }

    /// What is written reads back as the same computation (jsonObject adds head_dim, hence
    /// the comparison of the written objects rather than of the configs).
    func testFamilyConfigsRoundTripThroughTheirJSON() throws {
        for name in Fixtures.familyNames {
            let config = try LlamaConfig(contentsOf: Fixtures.llamaFolder(name).appendingPathComponent("config.json"))
            let reread = try LlamaConfig(fields: config.jsonObject)
            XCTAssertEqual(reread.jsonObject, config.jsonObject, name)
            XCTAssertEqual(reread.ropeScaling, config.ropeScaling, name)
            XCTAssertEqual([reread.queryKeyValueBias, reread.outputBias], [config.queryKeyValueBias, config.outputBias], name)
            XCTAssertEqual(reread.slidingWindow, config.slidingWindow, name)
        }
    }

    func testUnsupportedFamiliesAndScalingsAreRefusedByName() {
        assertRefused(["model_type": .string("gemma")], .unsupported("model_type", reason: "\"gemma\" is not implemented (only \"llama\", \"mistral\", \"qwen2\")"))
        assertRefused(["rope_parameters": rope(["rope_type": .string("yarn"), "factor": .number(4)])],
                      .unsupported("rope_parameters", reason: "rope type \"yarn\" is not implemented (only \"default\", \"linear\", \"dynamic\" and \"llama3\")"), "yarn")
        assertRefused(["rope_scaling": rope(["type": .string("longrope")])],
                      .unsupported("rope_scaling", reason: "rope type \"longrope\" is not implemented (only \"default\", \"linear\", \"dynamic\" and \"llama3\")"), "longrope")
        assertRefused(["model_type": .string("qwen2"), "use_sliding_window": .bool(true)],
                      .unsupported("use_sliding_window", reason: "Qwen2's per-layer sliding window (max_window_layers) is not implemented"))
        assertRefused(["mlp_bias": .bool(true)], .unsupported("mlp_bias", reason: "MLP projections with bias are not implemented"))
    }

    func testIncompleteScalingsAreRefusedNamingTheField() {
        assertRefused(["rope_parameters": rope(["rope_type": .string("linear")])], .missingField("rope_parameters.factor"))
        assertRefused(["rope_scaling": rope(["rope_type": .string("dynamic"), "factor": .number(-2)])],
                      .invalidField("rope_scaling.factor", reason: "must be a positive number"))
        assertRefused(["rope_parameters": rope(["rope_type": .string("llama3"), "factor": .number(8), "high_freq_factor": .number(4)])],
                      .missingField("rope_parameters.low_freq_factor"))
        assertRefused(["rope_parameters": rope(["rope_type": .string("llama3"), "factor": .number(8), "low_freq_factor": .number(4),
                                                "high_freq_factor": .number(4)])],
                      .invalidField("rope_parameters.high_freq_factor",
                                    reason: "must be greater than low_freq_factor (4.0): the band between them is interpolated"))
        assertRefused(["rope_parameters": rope(["rope_type": .string("llama3"), "factor": .number(8), "low_freq_factor": .number(1),
                                                "high_freq_factor": .number(4), "original_max_position_embeddings": .string("8k")])],
                      .invalidField("rope_parameters.original_max_position_embeddings", reason: "must be a positive integer"))
        assertRefused(["rope_scaling": .string("llama3")], .invalidField("rope_scaling", reason: "must be an object or null"))
    }
}
