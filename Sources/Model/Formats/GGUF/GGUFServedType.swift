/// The types a version is served in as GGUF, by the names llama.cpp's tools give them, and
/// which ggml type each tensor gets in each: f32/f16/bf16 as `convert_hf_to_gguf.py --outtype`
/// writes them, q8_0/q4_0/q4_k_m as `llama-quantize` does (its `llama_tensor_get_type`, without
/// an importance matrix). Vectors (norms, biases) stay F32 in every type.
public enum GGUFServedType: String, CaseIterable, Sendable {
    case f32, f16, bf16, q8_0, q4_0, q4_k_m

    /// The name a configuration or the command line gives: "f32", …, "q4_k_m".
    public var name: String { rawValue }

    public init?(name: String) { self.init(rawValue: name) }

    /// llama.cpp's `llama_ftype`, which the file names as `general.file_type`.
    var fileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q8_0: 7
        case .q4_k_m: 15
        case .bf16: 32
        }
    }

    /// The ggml type of the tensor llama.cpp names `name` (`blk.3.attn_v.weight`), of Hugging
    /// Face shape `shape`, in a model of `layerCount` layers; with tied embeddings
    /// `token_embd.weight` is also the output and typed as `output.weight` would be.
    func storedType(ofTensor name: String, shape: [Int], layerCount: Int, tiedEmbeddings: Bool) -> GGMLType {
        guard shape.count >= 2, let rowLength = shape.last else { return .f32 }
        let isOutput = name == "output.weight" || (tiedEmbeddings && name == "token_embd.weight")
        // llama-quantize keeps the output at 6 bits, or Q8_0 when its rows are not super-blocks.
        let outputType: GGMLType = rowLength % GGMLType.kBlockSize == 0 ? .q6_K : .q8_0
        let wanted: GGMLType
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q8_0: wanted = .q8_0
        case .q4_0: wanted = isOutput ? outputType : .q4_0
        case .q4_k_m:
            if isOutput {
                wanted = outputType
            } else if name.hasSuffix(".attn_v.weight") || name.hasSuffix(".ffn_down.weight"),
                      let layer = Self.layerIndex(of: name), Self.usesMoreBits(layer: layer, of: layerCount) {
                wanted = .q6_K
            } else {
                wanted = .q4_K
            }
        }
        return Self.fitting(wanted, rowLength: rowLength)
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third between.
    static func usesMoreBits(layer: Int, of count: Int) -> Bool {
        layer < count / 8 || layer >= 7 * count / 8 || (layer - count / 8) % 3 == 2
    }

    private static func layerIndex(of name: String) -> Int? {
        let parts = name.split(separator: ".")
        return parts.count > 2 && parts[0] == "blk" ? Int(parts[1]) : nil
    }

    /// `type`, or what llama.cpp stores instead when rows of `rowLength` are not whole blocks
    /// of it: Q5_0 for Q4_K, Q8_0 for Q6_K, and F16 when that does not fit either.
    static func fitting(_ type: GGMLType, rowLength: Int) -> GGMLType {
        if rowLength % type.blockSize == 0 { return type }
        let fallback: GGMLType = switch type {
        case .q4_K: .q5_0
        case .q6_K: .q8_0
        default: .f16
        }
        return rowLength % fallback.blockSize == 0 ? fallback : .f16
    }

    /// The ggml type of each tensor of `layout` (keyed by its Hugging Face name) in a file of this type.
    func storedTypes(of layout: ParameterLayout) -> [String: GGMLType] {
        let tied = layout.tensor(named: "lm_head.weight") == nil
        var types: [String: GGMLType] = [:]
        for tensor in layout.tensors {
            guard let name = GGUFModelConversion.ggufName(tensor.name) else { preconditionFailure("\(tensor.name) has no GGUF name") }
            types[tensor.name] = storedType(ofTensor: name, shape: tensor.shape, layerCount: layout.layers.count, tiedEmbeddings: tied)
        }
        return types
    }

    /// The parameters as a GGUF file of this type gives them back to llama.cpp: every tensor
    /// quantised to its type and dequantised again, in the same flat layout. Deterministic;
    /// rows are quantised in parallel.
    public func servedParameters(of parameters: UnsafeBufferPointer<Float>, layout: ParameterLayout) -> [Float] {
        var served = [Float](repeating: 0, count: layout.count)
        served.withUnsafeMutableBufferPointer { serve(parameters, layout: layout, into: $0) }
        return served
    }

    /// `servedParameters(of:layout:)` of the model's parameters.
    public func servedParameters(of model: LlamaModel) -> [Float] {
        servedParameters(of: UnsafeBufferPointer(model.parameters), layout: model.layout)
    }

    /// A model of `model`'s config holding its parameters as this type serves them, written
    /// straight into the new model's buffer.
    public func servedModel(of model: LlamaModel) -> LlamaModel {
        let served = LlamaModel(config: model.config)
        serve(UnsafeBufferPointer(model.parameters), layout: model.layout, into: served.parameters)
        return served
    }

    /// Writes `parameters` as this type serves them into `output`, another buffer: F32 tensors as
    /// they are, the others quantised and dequantised.
    private func serve(_ parameters: UnsafeBufferPointer<Float>, layout: ParameterLayout, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(parameters.count == layout.count && output.count == layout.count, "the parameters must fill the layout")
        let types = storedTypes(of: layout)
        let source = parameters.baseAddress!, destination = output.baseAddress!
        for tensor in layout.tensors {
            let type = types[tensor.name]!
            if type == .f32 {
                (destination + tensor.offset).update(from: source + tensor.offset, count: tensor.count)
            } else {
                GGUFQuantize.roundTrip(source + tensor.offset, count: tensor.count, rowLength: tensor.shape.last!, as: type,
                                       into: destination + tensor.offset)
            }
        }
    }
}
