/// Where each Hugging Face tensor lives in the one flat Float32 parameter buffer
/// (llm.c's layout). Gradients and optimizer moments use the same offsets.
///
/// Within a layer, q/k/v are adjacent and so are gate/up: each triple or pair is one
/// row-major matrix, so one sgemm computes all three projections (or both). The q/k/v
/// biases, when the config has them, are adjacent too: one bias row of the fused projection.
public struct ParameterLayout: Sendable {
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var isNormWeight: Bool { name.hasSuffix("norm.weight") }
        public var isBias: Bool { name.hasSuffix(".bias") }
    }

    /// Offsets of one decoder layer's tensors.
    public struct Layer: Sendable {
        public let qkv: Int, output: Int, gateUp: Int, down: Int, inputNorm: Int, postAttentionNorm: Int
        /// The biases of the fused q/k/v projection and of the o projection, when the config has them.
        public let qkvBias: Int?, outputBias: Int?
    }

    public let tensors: [Tensor]
    public let count: Int
    public let embedding: Int
    public let layers: [Layer]
    public let finalNorm: Int
    /// The output projection; equal to `embedding` when the embeddings are tied.
    public let lmHead: Int
    private let indexByName: [String: Int]

    public init(config c: LlamaConfig) {
        var tensors: [Tensor] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            let tensor = Tensor(name: name, shape: shape, offset: offset)
            tensors.append(tensor)
            offset += tensor.count
            return tensor.offset
        }
        let C = c.hiddenSize, I = c.intermediateSize
        let qWidth = c.headCount * c.headDim, kvWidth = c.keyValueHeadCount * c.headDim
        embedding = add("model.embed_tokens.weight", [c.vocabSize, C])
        layers = (0..<c.layerCount).map { l in
            let prefix = "model.layers.\(l)."
            let qkv = add(prefix + "self_attn.q_proj.weight", [qWidth, C])
            _ = add(prefix + "self_attn.k_proj.weight", [kvWidth, C])
            _ = add(prefix + "self_attn.v_proj.weight", [kvWidth, C])
            var qkvBias: Int?
            if c.queryKeyValueBias {
                qkvBias = add(prefix + "self_attn.q_proj.bias", [qWidth])
                _ = add(prefix + "self_attn.k_proj.bias", [kvWidth])
                _ = add(prefix + "self_attn.v_proj.bias", [kvWidth])
            }
            let output = add(prefix + "self_attn.o_proj.weight", [C, qWidth])
            let outputBias = c.outputBias ? add(prefix + "self_attn.o_proj.bias", [C]) : nil
            let gateUp = add(prefix + "mlp.gate_proj.weight", [I, C])
            _ = add(prefix + "mlp.up_proj.weight", [I, C])
            let down = add(prefix + "mlp.down_proj.weight", [C, I])
            let inputNorm = add(prefix + "input_layernorm.weight", [C])
            let postAttentionNorm = add(prefix + "post_attention_layernorm.weight", [C])
            return Layer(qkv: qkv, output: output, gateUp: gateUp, down: down,
                         inputNorm: inputNorm, postAttentionNorm: postAttentionNorm, qkvBias: qkvBias, outputBias: outputBias)
        }
        finalNorm = add("model.norm.weight", [C])
        lmHead = c.tieWordEmbeddings ? embedding : add("lm_head.weight", [c.vocabSize, C])
        self.tensors = tensors
        self.count = offset
        self.indexByName = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    public func tensor(named name: String) -> Tensor? {
        indexByName[name].map { tensors[$0] }
    }

    /// The tensors that hold RMSNorm weights (initialised to one, like Hugging Face's).
    public var normTensors: [Tensor] { tensors.filter(\.isNormWeight) }
}
