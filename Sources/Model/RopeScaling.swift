import Foundation
import Kernels

/// How a config stretches the rotary frequencies beyond the context a model was trained
/// on: transformers' `rope_type` in `rope_scaling` (4.x) or `rope_parameters` (5.x), with
/// the inverse frequencies computed as `modeling_rope_utils.py` computes them, in Float32.
public enum RopeScaling: Sendable, Equatable {
    /// Every frequency divided by `factor` (Llama 2 long-context fine-tunes).
    case linear(factor: Double)
    /// NTK-aware: past max_position_embeddings, the base grows with the sequence length.
    case dynamic(factor: Double)
    /// Llama 3.1: low frequencies divided by `factor`, high ones kept, the band between
    /// interpolated.
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositionEmbeddings: Int)

    /// The scaling an object of `key` describes, nil for rope type "default".
    /// `originalMaxPositionEmbeddings` is Llama 3's fallback when the object has none.
    init?(_ rope: [String: JSONValue], key: String, originalMaxPositionEmbeddings: Int) throws(LlamaConfigError) {
        func real(_ name: String) throws(LlamaConfigError) -> Double {
            guard let field = rope[name], !field.isNull else { throw .missingField("\(key).\(name)") }
            guard let number = field.doubleValue, number > 0 else { throw .invalidField("\(key).\(name)", reason: "must be a positive number") }
            return number
        }
        // transformers reads "type" when "rope_type" is absent (configs of 4.x before 4.45).
        let type = (rope["rope_type"] ?? rope["type"])?.stringValue ?? "default"
        switch type {
        case "default":
            return nil
        case "linear":
            self = .linear(factor: try real("factor"))
        case "dynamic":
            self = .dynamic(factor: try real("factor"))
        case "llama3":
            let low = try real("low_freq_factor"), high = try real("high_freq_factor")
            guard high > low else {
                throw .invalidField("\(key).high_freq_factor", reason: "must be greater than low_freq_factor (\(low)): the band between them is interpolated")
            }
            var original = originalMaxPositionEmbeddings
            if let field = rope["original_max_position_embeddings"], !field.isNull {
                guard let value = field.intValue, value > 0 else {
                    throw .invalidField("\(key).original_max_position_embeddings", reason: "must be a positive integer")
                }
                original = value
            }
            self = .llama3(factor: try real("factor"), lowFrequencyFactor: low, highFrequencyFactor: high,
                           originalMaxPositionEmbeddings: original)
        default:
            throw .unsupported(key, reason: "rope type \"\(type)\" is not implemented (only \"default\", \"linear\", \"dynamic\" and \"llama3\")")
        }
    }

    /// The scaled inverse frequencies for a forward over positions 0..<sequenceLength, from
    /// the unscaled `base` ones.
    func inverseFrequencies(scaling base: [Float], sequenceLength: Int, theta: Double, maxPositionEmbeddings: Int) -> [Float] {
        switch self {
        case .linear(let factor):
            return base.map { $0 / Float(factor) }
        case .dynamic(let factor):
            // transformers recomputes inv_freq only once a sequence runs past
            // max_position_embeddings (`dynamic_frequency_update`); below, the base is unchanged.
            // Here each forward's own length decides, as in a freshly loaded transformers model
            // (which then keeps the longest length seen until a forward is short again).
            guard sequenceLength > maxPositionEmbeddings else { return base }
            let dim = Float(2 * base.count), f = Float(factor)
            let stretch = Foundation.pow(f * Float(sequenceLength) / Float(maxPositionEmbeddings) - (f - 1), dim / (dim - 2))
            return RotaryTable.inverseFrequencies(headDim: 2 * base.count, theta: Float(theta) * stretch)
        case .llama3(let factor, let low, let high, let original):
            let f = Float(factor), lowWavelength = Float(Double(original) / low), highWavelength = Float(Double(original) / high)
            return base.map { frequency in
                let wavelength = Float(2 * Double.pi) / frequency
                if wavelength < highWavelength { return frequency }
                if wavelength > lowWavelength { return frequency / f }
                let smooth = (Float(original) / wavelength - Float(low)) / Float(high - low)
                return (1 - smooth) * frequency / f + smooth * frequency
            }
        }
    }
}

extension LlamaConfig {
    /// transformers' `inv_freq` for a forward over positions 0..<sequenceLength (only
    /// dynamic NTK scaling depends on the length).
    public func rotaryInverseFrequencies(sequenceLength: Int) -> [Float] {
        let base = RotaryTable.inverseFrequencies(headDim: headDim, theta: Float(ropeTheta))
        return ropeScaling?.inverseFrequencies(scaling: base, sequenceLength: sequenceLength, theta: ropeTheta,
                                                maxPositionEmbeddings: maxPositionEmbeddings) ?? base
    }

    /// The rotary table a forward over positions 0..<positions uses.
    public func rotaryTable(positions: Int) -> RotaryTable {
        RotaryTable(positions: positions, inverseFrequencies: rotaryInverseFrequencies(sequenceLength: positions))
    }
}
