// Residual connection: out = a + b. Its backward is the identity on both inputs, so the
// model keeps one running residual gradient and passes it to each branch unchanged.

public func residualForward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    Parallelism.forEachChunk(of: count, minimumChunk: 4096) { chunk in
        for i in chunk { out[i] = a[i] + b[i] }
    }
}
