import Model

/// The tiny GQA model the gradient tests share: random weights large enough for every path to
/// matter, RMSNorm weights away from one.
enum GradientCheckModel {
    static func make(tied: Bool, layers: Int = 2, attentionBias: Bool = false) throws -> LlamaModel {
        let fields: [String: JSONValue] = [
            "model_type": .string("llama"), "vocab_size": .number(13), "hidden_size": .number(8), "intermediate_size": .number(12),
            "num_hidden_layers": .number(Double(layers)), "num_attention_heads": .number(4), "num_key_value_heads": .number(2),
            "head_dim": .number(4), "rms_norm_eps": .number(1e-5), "rope_theta": .number(100), "max_position_embeddings": .number(16),
            "tie_word_embeddings": .bool(tied), "attention_bias": .bool(attentionBias),
        ]
        let model = LlamaModel(config: try LlamaConfig(fields: fields))
        model.initializeRandomly(seed: 7, standardDeviation: 0.5)
        var generator = SeededGenerator(seed: 3)
        for tensor in model.layout.tensors where tensor.shape.count == 1 {
            for i in 0..<tensor.count {
                model.parameters[tensor.offset + i] = (tensor.isBias ? 0 : 1) + 0.3 * generator.nextGaussian()
            }
        }
        return model
    }
}
