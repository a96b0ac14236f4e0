import CBLAS

/// The eigen-decomposition of a symmetric matrix (LAPACK's ssyevd, which OpenBLAS carries).
public struct SymmetricEigen: Sendable {
    /// Ascending.
    public let values: [Float]
    /// Row-major width × width; row i is the eigenvector of `values[i]`.
    public let vectors: [Float]
    public let width: Int

    /// Decomposes `matrix` (row-major, symmetric); nil when LAPACK does not converge.
    public init?(_ matrix: [Float], width: Int) {
        precondition(matrix.count == width * width, "a square matrix")
        // Column-major LAPACK on the row-major symmetric matrix sees the same matrix; the
        // eigenvectors come back as its columns, which row-major reads as rows.
        var a = matrix, w = [Float](repeating: 0, count: width)
        var n = Int32(width), lda = Int32(width), info: Int32 = 0
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var workSize: Float = 0, iworkSize: Int32 = 0, query: Int32 = -1
        ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &workSize, &query, &iworkSize, &query, &info)
        guard info == 0 else { return nil }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { return nil }
        values = w
        vectors = a
        self.width = width
    }
}
