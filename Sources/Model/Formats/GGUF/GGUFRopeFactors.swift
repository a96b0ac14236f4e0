import Foundation
import Kernels

/// llama.cpp's converter writes a Llama 3.1 rope scaling not as metadata but as the tensor
/// `rope_freqs.weight`: one divisor per frequency (1 for high frequencies, `factor` for low
/// ones, 1 / ((1 − s) / factor + s) in the band between, with s the smoothing of
/// `_compute_llama3_parameters`). This recovers Hugging Face's `llama3` rope_parameters from
/// those divisors, so that the converted folder computes what the original model computed.
enum GGUFRopeFactors {
    /// The original context llama.cpp assumes when the Hugging Face config names none.
    static let originalContext = 8192
    /// How far a recovered scaling may miss a stored divisor, relative to it.
    static let tolerance = 1e-4

    /// rope_parameters' llama3 entries reproducing the divisors of `tensor`, nil when every
    /// divisor is 1; refused, naming the tensor, when no llama3 scaling reproduces them.
    static func llama3Parameters(of tensor: GGUFFile.TensorInfo, in file: GGUFFile, headDim: Int, theta: Double)
        throws(GGUFError) -> [String: JSONValue]? {
        func refusal(_ reason: String) -> GGUFError { .invalidValue(file: file.path, key: tensor.name, reason: reason) }
        let r = try file.floats(of: tensor).map(Double.init)
        guard r.count == headDim / 2 else { throw refusal("has \(r.count) values, not one per rotary frequency (\(headDim / 2))") }
        guard let factor = r.max(), r.allSatisfy({ $0 >= 1 - tolerance }) else {
            throw refusal("holds a divisor below 1, which no llama3 scaling writes")
        }
        if factor <= 1 + tolerance { return nil }
        let wavelengths = RotaryTable.inverseFrequencies(headDim: headDim, theta: Float(theta)).map { 2 * Double.pi / Double($0) }
        // In the band between, 1/r = (1 − s)/factor + s with s = (context/wavelength − low)/(high − low):
        // context/wavelength = low + s·(high − low) is a line in s, fitted by least squares.
        let context = Double(originalContext)
        let band = r.indices.filter { abs(r[$0] - 1) > tolerance && abs(r[$0] - factor) > tolerance * factor }
        var low = 1.0, high = 4.0  // Llama 3.1's own, when fewer than two frequencies pin the line
        if band.count >= 2 {
            let s = band.map { (1 / r[$0] - 1 / factor) / (1 - 1 / factor) }, x = band.map { context / wavelengths[$0] }
            let meanS: Double = s.reduce(0, +) / Double(s.count), meanX: Double = x.reduce(0, +) / Double(x.count)
            let covariance: Double = zip(s, x).reduce(0) { $0 + ($1.0 - meanS) * ($1.1 - meanX) }
            let variance: Double = s.reduce(0) { $0 + ($1 - meanS) * ($1 - meanS) }
            let slope = covariance / variance
            low = meanX - slope * meanS
            high = low + slope
        }
        guard low > 0, high > low else { throw refusal("holds divisors whose interpolated band no llama3 scaling has") }
        for (i, wavelength) in wavelengths.enumerated() {
            let expected: Double
            if wavelength < context / high {
                expected = 1
            } else if wavelength > context / low {
                expected = factor
            } else {
                let smooth = (context / wavelength - low) / (high - low)
                expected = 1 / ((1 - smooth) / factor + smooth)
            }
            guard abs(expected - r[i]) <= tolerance * r[i] else {
                throw refusal("holds divisor \(r[i]) for frequency \(i), where the closest llama3 scaling gives \(expected)")
            }
        }
        return ["rope_type": .string("llama3"), "factor": .number(factor), "low_freq_factor": .number(low),
                "high_freq_factor": .number(high), "original_max_position_embeddings": .number(context)]
    }
}
