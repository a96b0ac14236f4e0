import CBLAS

// The one-row case of `matmulForward`, for single-token inference:
//   out[outputs] = weight[outputs, inputs] · input[inputs]
// OpenBLAS's sgemm with one row still packs the whole weight before using it; sgemv reads
// it once, which is all a matrix–vector product needs. Each call splits the weight's rows
// across the worker threads when there is enough of it to repay a parallel region.

/// Multiply-adds below which a thread's share is not worth a parallel region.
private let minimumWorkPerThread = 1 << 16

/// out = weight · input.
public func matrixVectorForward(
    _ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    inputs: Int, outputs: Int
) {
    Parallelism.forEachChunk(of: outputs, minimumChunk: max(1, minimumWorkPerThread / inputs)) { chunk in
        cblas_sgemv(
            CblasRowMajor, CblasNoTrans, Int32(chunk.count), Int32(inputs),
            1, weight + chunk.lowerBound * inputs, Int32(inputs),
            input, 1, 0, out + chunk.lowerBound, 1)
    }
}
