import Foundation

/// Turns a GGUF file into a Hugging Face model folder as transformers' GGUF loader does
/// (`from_pretrained(dir, gguf_file=...)`): config.json from the `<architecture>.*` keys,
/// every tensor dequantized to Float32 under its Hugging Face name in model.safetensors, the
/// query and key projections un-permuted, tokenizer.json and tokenizer_config.json rebuilt.
/// Two departures, both towards the model the file was converted from: `rope.scaling.*`
/// keys become rope_parameters, and a `rope_freqs.weight` tensor (Llama 3.1's scaling as
/// llama.cpp writes it) becomes llama3 rope_parameters; transformers ignores both.
public struct GGUFModelConversion {
    /// What was written, and what a user should know about it.
    public struct Summary: Sendable {
        public let architecture: String
        public let parameterCount: Int
        /// The ggml types the tensors were stored in, with their tensor counts.
        public let storedTypes: [String: Int]
        public let notes: [String]
    }

    public static let supportedArchitectures = ["llama", "mistral", "qwen2"]

    public let file: GGUFFile
    public let architecture: String
    /// config.json's fields.
    public let config: [String: JSONValue]
    private let headCount: Int, keyValueHeadCount: Int

    public init(_ file: GGUFFile) throws(GGUFError) {
        self.file = file
        let architecture = try file.string("general.architecture")
        guard Self.supportedArchitectures.contains(architecture) else {
            throw .unsupportedArchitecture(file: file.path, architecture: architecture)
        }
        self.architecture = architecture
        func required(_ key: String) throws(GGUFError) -> Int {
            guard let value = try file.integer("\(architecture).\(key)") else { throw .missingKey(file: file.path, key: "\(architecture).\(key)") }
            guard value > 0 else { throw .invalidValue(file: file.path, key: "\(architecture).\(key)", reason: "must be positive") }
            return value
        }
        let hidden = try required("embedding_length")
        headCount = try required("attention.head_count")
        keyValueHeadCount = try file.integer("\(architecture).attention.head_count_kv") ?? headCount
        guard keyValueHeadCount > 0, headCount % keyValueHeadCount == 0 else {
            throw .invalidValue(file: file.path, key: "\(architecture).attention.head_count_kv", reason: "must divide the head count \(headCount)")
        }
        let tokenCount = (try? file.strings("tokenizer.ggml.tokens"))?.count
        guard let vocabulary = try file.integer("\(architecture).vocab_size") ?? tokenCount ?? file.tensor(named: "token_embd.weight")?.shape.first else {
            throw .missingKey(file: file.path, key: "\(architecture).vocab_size")
        }
        // transformers reads llama.cpp's Mistral files (architecture llama) as Mistral; with no
        // sliding window that is the same computation, which Lethe runs as Llama.
        let modelType = architecture == "qwen2" ? "qwen2" : "llama"
        var config: [String: JSONValue] = [
            "architectures": .array([.string(modelType == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM")]),
            "model_type": .string(modelType),
            "hidden_act": .string("silu"),
            "hidden_size": .number(Double(hidden)),
            "intermediate_size": .number(Double(try required("feed_forward_length"))),
            "num_hidden_layers": .number(Double(try required("block_count"))),
            "num_attention_heads": .number(Double(headCount)),
            "num_key_value_heads": .number(Double(keyValueHeadCount)),
            "vocab_size": .number(Double(vocabulary)),
            "max_position_embeddings": .number(Double(try file.integer("\(architecture).context_length") ?? 2048)),
            "rms_norm_eps": .number(try file.real("\(architecture).attention.layer_norm_rms_epsilon") ?? 1e-6),
            "tie_word_embeddings": .bool(file.tensor(named: "output.weight") == nil),
            "torch_dtype": .string("float32"),
        ]
        // The rotary dimension is the head size for llama and mistral (transformers maps it so).
        let headDim = architecture == "qwen2" ? hidden / headCount : try file.integer("\(architecture).rope.dimension_count") ?? hidden / headCount
        if architecture != "qwen2" {
            config["head_dim"] = .number(Double(headDim))
            config["attention_bias"] = .bool(false)
            config["mlp_bias"] = .bool(false)
        }
        let theta = try file.real("\(architecture).rope.freq_base") ?? 10000
        var rope: [String: JSONValue] = ["rope_type": .string("default"), "rope_theta": .number(theta)]
        if let type = try file.string("\(architecture).rope.scaling.type", required: false), type != "none" {
            rope["rope_type"] = .string(type)
            if let factor = try file.real("\(architecture).rope.scaling.factor") { rope["factor"] = .number(factor) }
            if let original = try file.integer("\(architecture).rope.scaling.original_context_length") {
                rope["original_max_position_embeddings"] = .number(Double(original))
            }
        }
        if let tensor = file.tensor(named: Self.ropeFactorsTensor),
           let llama3 = try GGUFRopeFactors.llama3Parameters(of: tensor, in: file, headDim: headDim, theta: theta) {
            rope.merge(llama3) { $1 }
        }
        config["rope_parameters"] = .object(rope)
        for (key, name) in [("bos_token_id", "bos_token_id"), ("eos_token_id", "eos_token_id"), ("padding_token_id", "pad_token_id")] {
            config[name] = try file.integer("tokenizer.ggml.\(key)").map { .number(Double($0)) } ?? .null
        }
        self.config = config
    }

    /// Llama 3.1's rope scaling as llama.cpp stores it; read into the config, not a weight.
    static let ropeFactorsTensor = "rope_freqs.weight"

    /// llama.cpp's names of the tensors outside the layers, and of the modules in a layer
    /// (`blk.N.MODULE.weight`), with their Hugging Face names.
    static let globalTensorNames = ["token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
                                    "output.weight": "lm_head.weight"]
    static let layerModuleNames = ["attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                                   "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                                   "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                                   "ffn_down": "mlp.down_proj"]

    /// The Hugging Face name of a GGUF tensor, or nil for one a Llama-family model lacks.
    static func huggingFaceName(_ name: String) -> String? {
        if let mapped = globalTensorNames[name] { return mapped }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]), parts[3] == "weight" || parts[3] == "bias" else { return nil }
        guard let module = layerModuleNames[String(parts[2])] else { return nil }
        return "model.layers.\(layer).\(module).\(parts[3])"
    }

    /// The GGUF name of a Hugging Face tensor of a Llama-family model (the inverse of
    /// `huggingFaceName`), or nil for a name that is not one.
    static func ggufName(_ name: String) -> String? {
        if let mapped = globalTensorNames.first(where: { $0.value == name })?.key { return mapped }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              let kind = parts.last, kind == "weight" || kind == "bias" else { return nil }
        let module = parts[3..<(parts.count - 1)].joined(separator: ".")
        guard let short = layerModuleNames.first(where: { $0.value == module })?.key else { return nil }
        return "blk.\(layer).\(short).\(kind)"
    }

    /// Writes the tensor's Hugging Face values into `destination`: dequantized, and for llama's
    /// query and key projections with llama.cpp's permutation undone. llama.cpp's converter
    /// interleaves the two rotary halves of each head (row h·2·half + 2i + a holds the
    /// Hugging Face row h·2·half + a·half + i); this puts them back.
    func readHuggingFaceValues(of tensor: GGUFFile.TensorInfo, into destination: UnsafeMutableBufferPointer<Float>) throws(GGUFError) {
        let heads: Int? = architecture == "qwen2" ? nil
            : tensor.name.hasSuffix(".attn_q.weight") ? headCount
            : tensor.name.hasSuffix(".attn_k.weight") ? keyValueHeadCount : nil
        guard let heads else { return try file.readFloats(tensor, into: destination) }
        let rowLength = tensor.dimensions[0], rows = tensor.elementCount / rowLength
        guard rows % (2 * heads) == 0 else {
            throw .invalidValue(file: file.path, key: tensor.name, reason: "has \(rows) rows, not a whole number of rotary head pairs for \(heads) heads")
        }
        let stored = try file.floats(of: tensor)
        let half = rows / heads / 2
        for head in 0..<heads {
            for i in 0..<half {
                for a in 0..<2 {
                    let from = (head * 2 * half + 2 * i + a) * rowLength, to = (head * 2 * half + a * half + i) * rowLength
                    for column in 0..<rowLength { destination[to + column] = stored[from + column] }
                }
            }
        }
    }

    /// Writes config.json, model.safetensors (Float32), tokenizer.json and tokenizer_config.json
    /// into `folder` (created if needed).
    @discardableResult
    public func write(to folder: URL) throws -> Summary {
        var notes: [String] = []
        let tokenizer = try GGUFTokenizerConversion(file)
        var storedTypes: [String: Int] = [:]
        for tensor in file.tensors { storedTypes[tensor.type.name, default: 0] += 1 }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let llama = try loadLlama()
        try ModelFolder.write(llama, to: folder)
        if file.tensor(named: Self.ropeFactorsTensor) != nil {
            notes.append("\(Self.ropeFactorsTensor) was read into rope_parameters (transformers' GGUF loader ignores it)")
        }
        try Data(tokenizer.tokenizerFileText.utf8).write(to: folder.appendingPathComponent(Tokenizer.fileName), options: .atomic)
        try Self.writeJSON(tokenizer.tokenizerConfig, to: folder.appendingPathComponent(Tokenizer.configFileName))
        return Summary(architecture: architecture, parameterCount: llama.layout.count, storedTypes: storedTypes, notes: notes)
    }

    /// The model the file holds (llama, mistral or qwen2), in Lethe's parameter buffer. Every tensor's name and
    /// shape is checked against the layout before the buffer is allocated, so a file whose
    /// metadata promises a model its tensors do not hold fails before it costs memory.
    public func loadLlama() throws -> LlamaModel {
        let layout = ParameterLayout(config: try LlamaConfig(fields: config))
        var placed: [(tensor: GGUFFile.TensorInfo, target: ParameterLayout.Tensor)] = []
        for tensor in file.tensors where tensor.name != Self.ropeFactorsTensor {
            guard let name = Self.huggingFaceName(tensor.name), let target = layout.tensor(named: name) else {
                throw GGUFError.unexpectedTensor(file: file.path, tensor: tensor.name)
            }
            guard target.shape == tensor.shape else {
                throw GGUFError.shapeMismatch(file: file.path, tensor: tensor.name, expected: target.shape, found: tensor.shape)
            }
            placed.append((tensor, target))
        }
        let names = Set(placed.map(\.target.name))
        if let missing = layout.tensors.first(where: { !names.contains($0.name) }) {
            throw GGUFError.missingTensor(file: file.path, tensor: missing.name)
        }
        let model = LlamaModel(config: try LlamaConfig(fields: config))
        for (tensor, target) in placed {
            try readHuggingFaceValues(of: tensor, into: UnsafeMutableBufferPointer(rebasing: model.parameters[target.offset..<target.offset + target.count]))
        }
        return model
    }

    static func writeJSON(_ value: JSONValue, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(value).write(to: url, options: .atomic)
    }
}
