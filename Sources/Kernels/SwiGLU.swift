// The Llama MLP's gate: out[n, i] = silu(gate[n, i]) · up[n, i], silu(g) = g · σ(g).
// gate and up come from one fused projection: row n of `gateUp` is [gate (I) | up (I)].

public func swiGLUForward(_ out: UnsafeMutablePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int, hidden: Int) {
    Parallelism.forEachChunk(of: rows, minimumChunk: 16) { chunk in
        for n in chunk {
            let gate = gateUp + n * 2 * hidden, up = gate + hidden, y = out + n * hidden
            for i in 0..<hidden { y[i] = gate[i] * sigmoid(gate[i]) * up[i] }
        }
    }
}

/// Writes dGateUp (both halves) from dOut.
public func swiGLUBackward(
    dGateUp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, gateUp: UnsafePointer<Float>,
    rows: Int, hidden: Int
) {
    Parallelism.forEachChunk(of: rows, minimumChunk: 16) { chunk in
        for n in chunk {
            let gate = gateUp + n * 2 * hidden, up = gate + hidden
            let dGate = dGateUp + n * 2 * hidden, dUp = dGate + hidden, dy = dOut + n * hidden
            for i in 0..<hidden {
                let g = gate[i], s = sigmoid(g)
                dUp[i] = dy[i] * g * s
                dGate[i] = dy[i] * up[i] * s * (1 + g * (1 - s))
            }
        }
    }
}
