// exp without a libm call, so the loops that use it vectorise. The scalar `expf` call
// cost more than everything else in the SwiGLU, softmax and cross-entropy kernels.
// This is Cephes' expf (Cody–Waite range reduction, degree-5 polynomial), accurate to
// about 1 ulp on [-87.3, 88.3] (above 88.3 it overflows to +∞, a little early: callers
// pass x ≤ 0 or a sigmoid argument); below -87.3 (−∞ included) it returns 0, so masked
// entries vanish exactly. Only float arithmetic, bit casts and selects: no branches.

@inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87.33654), 88.72283)
    // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
    let magic: Float = 12_582_912
    let shifted = clamped * 1.442_695_04 + magic
    let k = shifted - magic
    let r = clamped - k * 0.693_359_375 + k * 2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * r * r + r + 1
    let twoToTheK = Float(bitPattern: (shifted.bitPattern &- magic.bitPattern &+ 127) &<< 23)
    return x < -87.33654 ? 0 : y * twoToTheK
}

/// 1 / (1 + e^−x).
@inline(__always)
public func sigmoid(_ x: Float) -> Float {
    1 / (1 + fastExp(-x))
}

/// Eight independent accumulators for reductions.
public typealias FloatLanes = SIMD8<Float>

/// `fastExp` on eight lanes at once (the same arithmetic, lane by lane).
@inline(__always)
public func fastExp(_ x: FloatLanes) -> FloatLanes {
    let lower = FloatLanes(repeating: -87.33654)
    let clamped = x.replacing(with: lower, where: x .< lower)
        .replacing(with: FloatLanes(repeating: 88.72283), where: x .> 88.72283)
    let magic = FloatLanes(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + magic
    let k = shifted - magic
    let r = clamped - k * 0.693_359_375 + k * 2.121_944_4e-4
    var p = FloatLanes(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * r * r + r + 1
    let integerK = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let twoToTheK = unsafeBitCast((integerK &+ 127) &* (1 << 23), to: FloatLanes.self)
    return (y * twoToTheK).replacing(with: 0, where: x .< lower)
}

/// Σ a[i]·b[i], in eight lanes.
@inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    let whole = count & ~7
    var lanes = FloatLanes(repeating: 0)
    for i in stride(from: 0, to: whole, by: 8) {
        lanes += UnsafeRawPointer(a + i).loadUnaligned(as: FloatLanes.self) * UnsafeRawPointer(b + i).loadUnaligned(as: FloatLanes.self)
    }
    var total = lanes.sum()
    for i in whole..<count { total += a[i] * b[i] }
    return total
}

/// Σ x[i], in eight lanes.
@inline(__always)
public func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    let whole = count & ~7
    var lanes = FloatLanes(repeating: 0)
    for i in stride(from: 0, to: whole, by: 8) { lanes += UnsafeRawPointer(x + i).loadUnaligned(as: FloatLanes.self) }
    var total = lanes.sum()
    for i in whole..<count { total += x[i] }
    return total
}
