import CBLAS

/// sums[width, width] += xᵀx over the `count` rows of x (row-major, count × width); only the
/// upper triangle of `sums` is written (mirror it with `mirrorUpperTriangle`).
public func gramAccumulate(_ sums: UnsafeMutablePointer<Float>, rows x: UnsafePointer<Float>, count: Int, width: Int) {
    guard count > 0 else { return }
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(width), Int32(count), 1, x, Int32(width), 1, sums, Int32(width))
}

/// Copies the upper triangle of a square row-major matrix into its lower one.
public func mirrorUpperTriangle(_ matrix: UnsafeMutablePointer<Float>, width: Int) {
    for i in 0..<width { for j in 0..<i { matrix[i * width + j] = matrix[j * width + i] } }
}
