// The bias of a linear layer (`torch.nn.Linear(bias=True)`), added after the bias-free
// matmul: out[n, j] += bias[j] for every row n. Its gradient is the column sum of dOut.

/// out[n, j] += bias[j], for `rows` rows of `columns` values.
public func biasForward(_ out: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int) {
    Parallelism.forEachChunk(of: rows, minimumChunk: 16) { chunk in
        for n in chunk {
            let row = out + n * columns
            for j in 0..<columns { row[j] += bias[j] }
        }
    }
}

/// dBias[j] += Σₙ dOut[n, j] (or = when `accumulate` is false, as `matmulBackward` does).
public func biasBackward(
    dBias: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, rows: Int, columns: Int, accumulate: Bool
) {
    // Split the columns: each thread owns a disjoint block of dBias and walks every row.
    Parallelism.forEachChunk(of: columns, minimumChunk: 64) { chunk in
        if !accumulate { (dBias + chunk.lowerBound).update(repeating: 0, count: chunk.count) }
        for n in 0..<rows {
            let row = dOut + n * columns
            for j in chunk { dBias[j] += row[j] }
        }
    }
}
