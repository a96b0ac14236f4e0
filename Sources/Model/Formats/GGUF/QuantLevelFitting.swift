// How ggml's K-quants choose a group's scale (and minimum): a search over a few candidate
// scales around the obvious one, keeping the one with the smallest weighted squared error.
// These follow ggml-quants.c's `make_qx_quants` (rmse_type 1, no importance matrix) and
// `make_qkx2_quants` operation for operation, so that the levels chosen are ggml's.

/// ggml's `nearest_int`: round to nearest, ties to even, for |value| < 2²², by ggml's own
/// trick (adding 1.5·2²³ leaves the integer in the low mantissa bits), so that a value out of
/// range (a NaN in a diverged model) gives garbage as in ggml rather than a trap.
@inline(__always)
func nearestInt(_ value: Float) -> Int {
    Int(Int32(bitPattern: (value + 12_582_912).bitPattern) & 0x007F_FFFF) - 0x0040_0000
}

/// C's conversion of a float to an integer (toward zero) for the legacy quants' levels, which
/// are in range for finite inputs; a NaN gives 0 rather than a trap.
@inline(__always)
func truncatedInt(_ value: Float) -> Int {
    value.isNaN ? 0 : Int(max(-1e9, min(1e9, value)))
}

/// Stores `value` as a little-endian binary16 at `offset`.
@inline(__always)
func storeHalf(_ value: Float, _ bytes: UnsafeMutableRawPointer, _ offset: Int) {
    bytes.storeBytes(of: halfBits(value).littleEndian, toByteOffset: offset, as: UInt16.self)
}

/// Levels −n…n−1 times one signed scale, weighted by the squares of the values (`make_qx_quants`).
enum SymmetricLevels {
    /// Groups whose largest magnitude is below this are all zero (ggml's GROUP_MAX_EPS).
    static let smallestGroupMaximum: Float = 1e-15

    /// Writes level + n (0…2n−1) for each of the `count` values and returns the scale.
    static func fit(_ x: UnsafePointer<Float>, count: Int, levelsEachSide n: Int, levels: UnsafeMutablePointer<Int8>) -> Float {
        var largestMagnitude: Float = 0, largest: Float = 0
        for i in 0..<count where abs(x[i]) > largestMagnitude {
            largestMagnitude = abs(x[i])
            largest = x[i]
        }
        guard largestMagnitude >= smallestGroupMaximum else {
            levels.initialize(repeating: 0, count: count)
            return 0
        }
        let top = Float(n)
        func level(_ value: Float, _ inverse: Float) -> Int { max(-n, min(n - 1, nearestInt(inverse * value))) }
        /// Σw·x·l and Σw·l² for the levels of `inverse`, with w = x².
        func sums(_ inverse: Float) -> (xl: Float, ll: Float) {
            var xl: Float = 0, ll: Float = 0
            for i in 0..<count {
                let l = Float(level(x[i], inverse)), w = x[i] * x[i]
                xl += w * x[i] * l
                ll += w * l * l
            }
            return (xl, ll)
        }
        func store(_ inverse: Float) {
            for i in 0..<count { levels[i] = Int8(level(x[i], inverse) + n) }
        }
        var inverse = -top / largest
        store(inverse)
        var (xl, ll) = sums(inverse)
        var scale = ll != 0 ? xl / ll : 0
        var best = scale * xl
        for step in -9...9 where step != 0 {
            inverse = -(top + 0.1 * Float(step)) / largest
            (xl, ll) = sums(inverse)
            if ll > 0 && xl * xl > best * ll {
                store(inverse)
                scale = xl / ll
                best = scale * xl
            }
        }
        return scale
    }
}

/// Levels 0…maximum times a scale, minus a minimum (`make_qkx2_quants`, squared error).
enum AsymmetricLevels {
    /// Writes the levels of the `count` values and returns the scale and the minimum (as a
    /// positive offset: value ≈ scale·level − minimum). `search` tries the scales
    /// (maximum + start + step·k) / range for k = 0…steps, each refitted by least squares.
    static func fit(
        _ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, count: Int, maximumLevel: Int,
        levels L: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>,
        search: (start: Float, step: Float, steps: Int)
    ) -> (scale: Float, minimum: Float) {
        var low = x[0], high = x[0]
        var sumW = w[0], sumX = w[0] * x[0]
        for i in 1..<count {
            low = min(low, x[i])
            high = max(high, x[i])
            sumW += w[i]
            sumX += w[i] * x[i]
        }
        if low > 0 { low = 0 }
        if high == low {
            L.initialize(repeating: 0, count: count)
            return (0, -low)
        }
        let top = Float(maximumLevel)
        // As in ggml, each candidate is measured from the best minimum found so far.
        var scale: Float, minimum = low
        func level(_ value: Float, _ inverse: Float) -> UInt8 { UInt8(max(0, min(maximumLevel, nearestInt(inverse * (value - minimum))))) }
        var inverse = top / (high - minimum)
        scale = 1 / inverse
        var bestError: Float = 0
        for i in 0..<count {
            L[i] = level(x[i], inverse)
            let difference = scale * Float(L[i]) + minimum - x[i]
            bestError += w[i] * (difference * difference)
        }
        for k in 0...search.steps {
            inverse = (search.start + search.step * Float(k) + top) / (high - minimum)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<count {
                scratch[i] = level(x[i], inverse)
                let l = Float(scratch[i])
                sumL += w[i] * l
                sumL2 += w[i] * l * l
                sumXL += w[i] * l * x[i]
            }
            let determinant = sumW * sumL2 - sumL * sumL
            guard determinant > 0 else { continue }
            var candidateScale = (sumW * sumXL - sumX * sumL) / determinant
            var candidateMinimum = (sumL2 * sumX - sumL * sumXL) / determinant
            if candidateMinimum > 0 {
                candidateMinimum = 0
                candidateScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<count {
                let difference = candidateScale * Float(scratch[i]) + candidateMinimum - x[i]
                error += w[i] * (difference * difference)
            }
            if error < bestError {
                L.update(from: scratch, count: count)
                bestError = error
                scale = candidateScale
                minimum = candidateMinimum
            }
        }
        return (scale, -minimum)
    }
}
