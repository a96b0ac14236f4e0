// Whole-buffer reductions and scaling (global gradient norm, clipping).

/// Σ x[i]², accumulated in Double per thread so a 100M-element buffer keeps its precision.
public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    let threads = Parallelism.threadCount
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: threads) { partials in
        let chunk = (count + threads - 1) / threads
        Parallelism.forEach(threads) { t in
            var sum: Double = 0
            for i in min(count, t * chunk)..<min(count, (t + 1) * chunk) { sum += Double(x[i] * x[i]) }
            partials[t] = sum
        }
        return partials.reduce(0, +)
    }
}

/// x[i] *= factor.
public func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
    Parallelism.forEachChunk(of: count, minimumChunk: 1 << 16) { chunk in
        for i in chunk { x[i] *= factor }
    }
}
