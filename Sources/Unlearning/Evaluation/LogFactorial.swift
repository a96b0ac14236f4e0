import Foundation

/// log n!, through the log-gamma function: the Kolmogorov–Smirnov distributions need factorials
/// of n up to 10⁶, far past where n! overflows.
func logFactorial(_ n: Int) -> Double {
    let value: Double = lgamma(Double(n) + 1)  // the annotation picks C's lgamma over Glibc's (value, sign) overload
    return value
}
