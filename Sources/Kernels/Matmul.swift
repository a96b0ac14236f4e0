import CBLAS

// Linear layer without bias, as `torch.nn.Linear(bias=False)` computes it:
//   out[N, outputs] = input[N, inputs] · weight[outputs, inputs]ᵀ
// Row-major throughout; transposes are handled by sgemm's flags, never by copies.
// Each call splits its rows across the worker threads (OpenBLAS itself runs single-threaded).

/// Rows below which a matmul is not worth splitting across threads.
private let minimumRowsPerThread = 16

/// out = input · weightᵀ, or out += input · weightᵀ when `accumulate` is true.
public func matmulForward(
    _ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    rows: Int, inputs: Int, outputs: Int, accumulate: Bool = false
) {
    Parallelism.forEachChunk(of: rows, minimumChunk: minimumRowsPerThread) { chunk in
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans,
            Int32(chunk.count), Int32(outputs), Int32(inputs),
            1, input + chunk.lowerBound * inputs, Int32(inputs),
            weight, Int32(inputs),
            accumulate ? 1 : 0, out + chunk.lowerBound * outputs, Int32(outputs))
    }
}

/// Backward of `matmulForward`: dInput = dOut · weight (overwritten, skipped when nil)
/// and dWeight += dOutᵀ · input (or = when `accumulateWeight` is false, which spares
/// zeroing the gradients before the first micro-batch; skipped when nil: a frozen weight).
public func matmulBackward(
    dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
    dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows: Int, inputs: Int, outputs: Int, accumulateWeight: Bool = true
) {
    if let dInput {
        Parallelism.forEachChunk(of: rows, minimumChunk: minimumRowsPerThread) { chunk in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans,
                Int32(chunk.count), Int32(inputs), Int32(outputs),
                1, dOut + chunk.lowerBound * outputs, Int32(outputs),
                weight, Int32(inputs),
                0, dInput + chunk.lowerBound * inputs, Int32(inputs))
        }
    }
    guard let dWeight else { return }
    // Split the weight's rows: each thread owns a disjoint block of dWeight.
    Parallelism.forEachChunk(of: outputs, minimumChunk: minimumRowsPerThread) { chunk in
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans,
            Int32(chunk.count), Int32(inputs), Int32(rows),
            1, dOut + chunk.lowerBound, Int32(outputs),
            input, Int32(inputs),
            accumulateWeight ? 1 : 0, dWeight + chunk.lowerBound * inputs, Int32(inputs))
    }
}
