import Foundation

/// The sgemm throughput this machine reaches through `matmulForward` (same threading
/// as the model's matmuls), in GFLOP/s: the best of several n×n×n products. The
/// training benchmark reports its own throughput as a fraction of this.
public func measureMatmulPeak(size n: Int = 1024, repetitions: Int = 6) -> Double {
    let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    for i in 0..<(n * n) {
        a[i] = Float(i % 7) * 0.01
        b[i] = Float(i % 5) * 0.01
    }
    c.initialize(repeating: 0, count: n * n)
    var best = Double.infinity
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        matmulForward(c, a, b, rows: n, inputs: n, outputs: n)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return 2 * Double(n * n * n) / best / 1e9
}
