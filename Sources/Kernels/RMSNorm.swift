// RMSNorm as Hugging Face's LlamaRMSNorm computes it (in Float32):
//   rstd[n] = 1 / sqrt(mean_c(x[n, c]²) + eps),  out[n, c] = weight[c] · x[n, c] · rstd[n]

/// Normalises each row of `input`; keeps `rstd` for the backward pass.
public func rmsNormForward(
    _ out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
    _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows: Int, channels: Int, epsilon: Float
) {
    Parallelism.forEachChunk(of: rows, minimumChunk: 32) { chunk in
        for n in chunk {
            let x = input + n * channels, y = out + n * channels
            let r = 1 / (dot(x, x, count: channels) / Float(channels) + epsilon).squareRoot()
            rstd[n] = r
            for c in 0..<channels { y[c] = weight[c] * (x[c] * r) }
        }
    }
}

/// dInput += ∂L/∂input (accumulates: the input is the residual stream, whose gradient
/// also arrives directly) and dWeight += ∂L/∂weight (= when `accumulateWeight` is false);
/// either is skipped when nil (nothing below needs it, or the weight is frozen).
public func rmsNormBackward(
    dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
    dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rstd: UnsafePointer<Float>, rows: Int, channels: Int, accumulateWeight: Bool = true
) {
    if let dInput {
        Parallelism.forEachChunk(of: rows, minimumChunk: 32) { chunk in
            for n in chunk {
                let x = input + n * channels, dy = dOut + n * channels, dx = dInput + n * channels
                let r = rstd[n]
                // With x̂ = x·r and g = dy·weight: dx = r · (g − x̂ · mean(g · x̂)).
                var dot: Float = 0
                for c in 0..<channels { dot += dy[c] * weight[c] * x[c] }
                let correction = dot * r * r / Float(channels)
                for c in 0..<channels { dx[c] += r * (dy[c] * weight[c] - x[c] * correction) }
            }
        }
    }
    guard let dWeight else { return }
    // The weight gradient sums over rows; one pass keeps it free of races.
    if !accumulateWeight { dWeight.update(repeating: 0, count: channels) }
    for n in 0..<rows {
        let x = input + n * channels, dy = dOut + n * channels
        let r = rstd[n]
        for c in 0..<channels { dWeight[c] += dy[c] * x[c] * r }
    }
}
