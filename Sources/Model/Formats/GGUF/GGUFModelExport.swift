import Foundation
import Kernels

/// What keeps a model from being written as GGUF, as a sentence a user can act on.
public enum GGUFExportError: Error, Equatable, CustomStringConvertible {
    case unsupportedTokenizer(String)
    case unsupportedRopeScaling(String)

    public var description: String {
        switch self {
        case .unsupportedTokenizer(let reason): "cannot write the tokenizer to GGUF: \(reason)"
        case .unsupportedRopeScaling(let reason): "cannot write the rope scaling to GGUF: \(reason)"
        }
    }
}

/// Writes a Llama-family model as the GGUF file llama.cpp serves, as `convert_hf_to_gguf.py`
/// (and, for the quantised types, `llama-quantize`) would write it: architecture "llama" (or
/// "qwen2"), the hyper-parameters llama.cpp reads, the tokenizer (`GGUFTokenizerMetadata`), and
/// each tensor under llama.cpp's name in the type `GGUFServedType` gives it. llama's query and
/// key rows are interleaved per head as llama.cpp's rotary embedding wants them; a Llama 3.1
/// rope scaling becomes the `rope_freqs.weight` tensor. `GGUFModelConversion` reads it back.
public enum GGUFModelExport {
    /// Writes `model` with the tokenizer files of `modelFolder` to `url` as `type`; `name` is
    /// `general.name`.
    public static func write(_ model: LlamaModel, modelFolder: URL, name: String, as type: GGUFServedType, to url: URL) throws {
        let config = model.config, layout = model.layout
        let architecture = config.fields["model_type"]?.stringValue == "qwen2" ? "qwen2" : "llama"
        var metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(architecture)),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(type.fileType)),
            ("general.quantization_version", .uint32(2)),
        ]
        func hyperParameter(_ key: String, _ value: GGUFValue) { metadata.append(("\(architecture).\(key)", value)) }
        hyperParameter("vocab_size", .uint32(UInt32(config.vocabSize)))
        hyperParameter("context_length", .uint32(UInt32(config.maxPositionEmbeddings)))
        hyperParameter("embedding_length", .uint32(UInt32(config.hiddenSize)))
        hyperParameter("block_count", .uint32(UInt32(config.layerCount)))
        hyperParameter("feed_forward_length", .uint32(UInt32(config.intermediateSize)))
        hyperParameter("attention.head_count", .uint32(UInt32(config.headCount)))
        hyperParameter("attention.head_count_kv", .uint32(UInt32(config.keyValueHeadCount)))
        hyperParameter("rope.dimension_count", .uint32(UInt32(config.headDim)))
        if config.headDim != config.hiddenSize / config.headCount {
            hyperParameter("attention.key_length", .uint32(UInt32(config.headDim)))
            hyperParameter("attention.value_length", .uint32(UInt32(config.headDim)))
        }
        hyperParameter("rope.freq_base", .float32(Float(config.ropeTheta)))
        hyperParameter("attention.layer_norm_rms_epsilon", .float32(Float(config.rmsNormEpsilon)))

        var tensors: [GGUFWriter.Tensor] = []
        switch config.ropeScaling {
        case nil:
            break
        case .linear(let factor):
            hyperParameter("rope.scaling.type", .string("linear"))
            hyperParameter("rope.scaling.factor", .float32(Float(factor)))
        case .llama3(let factor, let low, let high, let original):
            let divisors = llama3Divisors(headDim: config.headDim, theta: config.ropeTheta, factor: factor, low: low, high: high, original: original)
            tensors.append(GGUFWriter.Tensor(name: GGUFModelConversion.ropeFactorsTensor, dimensions: [divisors.count], type: .f32) {
                divisors.withUnsafeBufferPointer { GGUFQuantize.encode($0, rowLength: divisors.count, as: .f32) }
            })
        case .dynamic:
            throw GGUFExportError.unsupportedRopeScaling("llama.cpp has no dynamic (NTK) rope scaling")
        }
        metadata += try GGUFTokenizerMetadata.entries(modelFolder: modelFolder, vocabularySize: config.vocabSize, config: config)

        let types = type.storedTypes(of: layout)
        let parameters = UnsafeBufferPointer(model.parameters)
        for tensor in layout.tensors {
            let ggufName = GGUFModelConversion.ggufName(tensor.name)!
            let heads: Int? = architecture == "qwen2" ? nil
                : ggufName.hasSuffix(".attn_q.weight") ? config.headCount
                : ggufName.hasSuffix(".attn_k.weight") ? config.keyValueHeadCount : nil
            let tensorType = types[tensor.name]!
            tensors.append(GGUFWriter.Tensor(name: ggufName, dimensions: tensor.shape.reversed(), type: tensorType) {
                var values = Array(parameters[tensor.offset..<tensor.offset + tensor.count])
                if let heads { values = interleavingRotaryHalves(values, heads: heads, rowLength: tensor.shape.last!) }
                return values.withUnsafeBufferPointer { GGUFQuantize.encode($0, rowLength: tensor.shape.last!, as: tensorType) }
            })
        }
        try GGUFWriter(metadata: metadata, tensors: tensors).write(to: url)
    }

    /// llama.cpp's converter's permutation of a query or key projection: within each head, the
    /// Hugging Face row a·half + i (rotary half a) becomes row 2i + a. The inverse of
    /// `GGUFModelConversion.readHuggingFaceValues`'s.
    static func interleavingRotaryHalves(_ values: [Float], heads: Int, rowLength: Int) -> [Float] {
        let rows = values.count / rowLength, half = rows / heads / 2
        var permuted = values
        for head in 0..<heads {
            for i in 0..<half {
                for a in 0..<2 {
                    let from = (head * 2 * half + a * half + i) * rowLength, to = (head * 2 * half + 2 * i + a) * rowLength
                    permuted[to..<to + rowLength] = values[from..<from + rowLength]
                }
            }
        }
        return permuted
    }

    /// The per-frequency divisors llama.cpp's converter writes for a Llama 3.1 rope scaling
    /// (`GGUFRopeFactors` recovers the scaling from them).
    static func llama3Divisors(headDim: Int, theta: Double, factor: Double, low: Double, high: Double, original: Int) -> [Float] {
        let context = Double(original)
        return RotaryTable.inverseFrequencies(headDim: headDim, theta: Float(theta)).map { frequency in
            let wavelength = 2 * Double.pi / Double(frequency)
            if wavelength < context / high { return 1 }
            if wavelength > context / low { return Float(factor) }
            let smooth = (context / wavelength - low) / (high - low)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }
}
