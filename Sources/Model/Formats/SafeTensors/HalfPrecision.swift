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
