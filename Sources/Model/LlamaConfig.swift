import Foundation

/// What is wrong with a config.json, in words that name the field.
public enum LlamaConfigError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notAnObject(path: String)
    case missingField(String)
    case invalidField(String, reason: String)
    case unsupported(String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read config \(path): \(reason)"
        case .notAnObject(let path): "config \(path) is not a JSON object"
        case .missingField(let field): "config.json: required field '\(field)' is missing"
        case .invalidField(let field, let reason): "config.json: field '\(field)' \(reason)"
        case .unsupported(let field, let reason): "config.json: '\(field)' is not supported: \(reason)"
        }
    }
}

/// The fields of a Hugging Face `LlamaConfig` that decide the computation, or of one of
/// the Llama-shaped families Lethe runs on the same decoder: `MistralConfig` (a sliding
/// attention window) and `Qwen2Config` (biases on the q, k and v projections). Fields Lethe
/// does not use are kept in `fields` and written back unchanged.
public struct LlamaConfig: Sendable, Equatable {
    /// The `model_type`s read, each a `…ForCausalLM` of transformers.
    public static let supportedModelTypes = ["llama", "mistral", "qwen2"]

    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    public var headDim: Int
    public var rmsNormEpsilon: Double
    public var ropeTheta: Double
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]
    /// Read from `fields` (so written back with them): nil when the frequencies are unscaled.
    public private(set) var ropeScaling: RopeScaling?
    /// The q, k and v projections have biases (Qwen2; Llama's attention_bias).
    public private(set) var queryKeyValueBias: Bool
    /// The o projection has a bias (Llama's attention_bias).
    public private(set) var outputBias: Bool
    /// Keys a query attends to at most, itself included (Mistral's sliding_window); nil: all.
    public private(set) var slidingWindow: Int?
    /// Every field of the file as read (or as built), including the ones above.
    public private(set) var fields: [String: JSONValue]

    public init(
        vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
        headCount: Int, keyValueHeadCount: Int, headDim: Int? = nil,
        rmsNormEpsilon: Double = 1e-6, ropeTheta: Double = 10000, maxPositionEmbeddings: Int = 2048,
        tieWordEmbeddings: Bool = false, bosTokenID: Int? = 1, eosTokenIDs: [Int] = [2]
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.headDim = headDim ?? hiddenSize / headCount
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.ropeScaling = nil
        self.queryKeyValueBias = false
        self.outputBias = false
        self.slidingWindow = nil
        self.fields = ["model_type": .string("llama"), "architectures": .array([.string("LlamaForCausalLM")]),
                       "hidden_act": .string("silu")]
    }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LlamaConfigError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        let document: JSONValue
        do { document = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw LlamaConfigError.unreadable(path: url.path, reason: "not valid JSON")
        }
        guard case .object(let fields) = document else { throw LlamaConfigError.notAnObject(path: url.path) }
        try self.init(fields: fields)
    }

    public init(fields: [String: JSONValue]) throws {
        func integer(_ key: String, default value: Int? = nil) throws -> Int {
            guard let field = fields[key], !field.isNull else {
                guard let value else { throw LlamaConfigError.missingField(key) }
                return value
            }
            guard let number = field.intValue, number > 0 else {
                throw LlamaConfigError.invalidField(key, reason: "must be a positive integer")
            }
            return number
        }
        func real(_ key: String, in object: [String: JSONValue] = fields, default value: Double) throws -> Double {
            guard let field = object[key], !field.isNull else { return value }
            guard let number = field.doubleValue, number > 0 else {
                throw LlamaConfigError.invalidField(key, reason: "must be a positive number")
            }
            return number
        }
        func flag(_ key: String) -> Bool { fields[key]?.boolValue == true }

        let modelType = fields["model_type"]?.stringValue ?? "llama"
        guard Self.supportedModelTypes.contains(modelType) else {
            throw LlamaConfigError.unsupported("model_type", reason: "\"\(modelType)\" is not implemented (only \(Self.supportedModelTypes.map { "\"\($0)\"" }.joined(separator: ", ")))")
        }
        if let activation = fields["hidden_act"], activation.stringValue != "silu" {
            throw LlamaConfigError.unsupported("hidden_act", reason: "the Llama MLP here uses silu")
        }
        // Each family's modeling file decides its biases and window; the other keys it ignores.
        var slidingWindow: Int?
        switch modelType {
        case "mistral":
            // MistralConfig's default is 4096 when the key is absent; null turns the window off.
            switch fields["sliding_window"] {
            case nil: slidingWindow = 4096
            case .null?: slidingWindow = nil
            default: slidingWindow = try integer("sliding_window")
            }
        case "qwen2":
            if flag("use_sliding_window") {
                throw LlamaConfigError.unsupported("use_sliding_window", reason: "Qwen2's per-layer sliding window (max_window_layers) is not implemented")
            }
        default:
            if flag("mlp_bias") { throw LlamaConfigError.unsupported("mlp_bias", reason: "MLP projections with bias are not implemented") }
        }
        let maxPositionEmbeddings = try integer("max_position_embeddings", default: 2048)

        // transformers 4.x writes rope_theta (+ rope_scaling); 5.x writes rope_parameters.
        // A non-null rope_scaling wins, as in transformers' `convert_rope_params_to_dict`.
        var ropeTheta = try real("rope_theta", default: 10000)
        var ropeScaling: RopeScaling?
        if let key = ["rope_scaling", "rope_parameters"].first(where: { fields[$0].map { !$0.isNull } ?? false }) {
            guard case .object(let rope) = fields[key]! else {
                throw LlamaConfigError.invalidField(key, reason: "must be an object or null")
            }
            if rope["rope_theta"] != nil { ropeTheta = try real("rope_theta", in: rope, default: 10000) }
            // Llama 3 falls back to a top-level original_max_position_embeddings, then to max_position_embeddings.
            ropeScaling = try RopeScaling(rope, key: key,
                                          originalMaxPositionEmbeddings: try integer("original_max_position_embeddings", default: maxPositionEmbeddings))
        }

        let hiddenSize = try integer("hidden_size")
        let headCount = try integer("num_attention_heads")
        let keyValueHeadCount = try integer("num_key_value_heads", default: headCount)
        guard headCount % keyValueHeadCount == 0 else {
            throw LlamaConfigError.invalidField("num_key_value_heads", reason: "must divide num_attention_heads (\(headCount))")
        }
        let headDim = try integer("head_dim", default: hiddenSize / headCount)
        guard headDim % 2 == 0 else {
            throw LlamaConfigError.invalidField("head_dim", reason: "must be even for rotary embeddings")
        }
        var eosTokenIDs: [Int] = []
        switch fields["eos_token_id"] {
        case .number?: eosTokenIDs = [fields["eos_token_id"]!.intValue].compactMap { $0 }
        case .array(let ids)?: eosTokenIDs = ids.compactMap(\.intValue)
        default: break
        }

        self.vocabSize = try integer("vocab_size")
        self.hiddenSize = hiddenSize
        self.intermediateSize = try integer("intermediate_size")
        self.layerCount = try integer("num_hidden_layers")
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.headDim = headDim
        self.rmsNormEpsilon = try real("rms_norm_eps", default: 1e-6)
        self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = fields["tie_word_embeddings"]?.boolValue ?? false
        self.bosTokenID = fields["bos_token_id"]?.intValue
        self.eosTokenIDs = eosTokenIDs
        self.ropeScaling = ropeScaling
        self.queryKeyValueBias = modelType == "qwen2" || (modelType == "llama" && flag("attention_bias"))
        self.outputBias = modelType == "llama" && flag("attention_bias")
        self.slidingWindow = slidingWindow
        self.fields = fields
    }

    /// The config as a JSON object: the fields read, with the interpreted ones written back.
    public var jsonObject: [String: JSONValue] {
        var object = fields
        object["vocab_size"] = .number(Double(vocabSize))
        object["hidden_size"] = .number(Double(hiddenSize))
        object["intermediate_size"] = .number(Double(intermediateSize))
        object["num_hidden_layers"] = .number(Double(layerCount))
        object["num_attention_heads"] = .number(Double(headCount))
        object["num_key_value_heads"] = .number(Double(keyValueHeadCount))
        object["head_dim"] = .number(Double(headDim))
        object["rms_norm_eps"] = .number(rmsNormEpsilon)
        object["max_position_embeddings"] = .number(Double(maxPositionEmbeddings))
        object["tie_word_embeddings"] = .bool(tieWordEmbeddings)
        object["bos_token_id"] = bosTokenID.map { .number(Double($0)) } ?? .null
        object["eos_token_id"] = eosTokenIDs.count == 1 ? .number(Double(eosTokenIDs[0])) : .array(eosTokenIDs.map { .number(Double($0)) })
        if case .object(var rope)? = object["rope_parameters"] {
            rope["rope_theta"] = .number(ropeTheta)
            object["rope_parameters"] = .object(rope)
        } else {
            object["rope_theta"] = .number(ropeTheta)
        }
        return object
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(JSONValue.object(jsonObject)).write(to: url, options: .atomic)
    }
}
