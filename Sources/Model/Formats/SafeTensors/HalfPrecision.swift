// Widening of 16-bit floats to Float by bit manipulation. Swift's `Float16` is unavailable on
// Intel Macs, and bfloat16 has no standard library type at all.

/// Float value of an IEEE 754 binary16 bit pattern; exact for every input, including
/// subnormals, infinities and NaNs (whose payload is kept in the high mantissa bits).
func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x03FF)
    switch exponent {
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    case 0:
        // Zero or subnormal: mantissa × 2⁻²⁴, exactly representable as a normal Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    default:
        // Rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

/// Float value of a bfloat16 bit pattern, which is the upper half of a Float's bits.
func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

// Narrowing, as ggml writes 16-bit floats: round to nearest, ties to even.

/// The IEEE 754 binary16 bit pattern nearest to `value` (ties to even), with overflow to
/// infinity, gradual underflow to subnormals, and NaN kept a NaN.
func halfBits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF), mantissa = bits & 0x007F_FFFF
    if exponent == 0xFF { return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x0200 | UInt16(mantissa >> 13)) }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    // Keep the top bits of the significand and round on the rest; a carry out of the
    // significand moves into the exponent, which is the correctly rounded result.
    let significand: UInt32, dropped: UInt32
    if halfExponent <= 0 {
        // A subnormal half counts units of 2⁻²⁴; below half of one unit everything rounds to zero.
        guard halfExponent >= -10 else { return sign }
        significand = mantissa | 0x0080_0000
        dropped = UInt32(14 - halfExponent)
    } else {
        significand = UInt32(halfExponent) << 23 | mantissa
        dropped = 13
    }
    var half = significand >> dropped
    let remainder = significand & ((1 << dropped) - 1), halfway = UInt32(1) << (dropped - 1)
    if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
    return sign | UInt16(half)
}

/// The bfloat16 bit pattern nearest to `value` (ties to even); a NaN stays a quiet NaN.
func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
    return UInt16((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)
}
