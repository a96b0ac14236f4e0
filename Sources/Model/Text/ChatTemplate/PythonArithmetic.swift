import Foundation

/// Python's arithmetic: ints stay ints (overflow is refused rather than wrapped), `/` gives a float,
/// `//` and `%` round toward negative infinity.
enum PythonArithmetic {
    static func integer(_ op: TemplateBinaryOperator, _ a: Int, _ b: Int) throws(TemplateFailure) -> TemplateValue {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws(TemplateFailure) -> TemplateValue {
            guard !result.overflow else { throw .unsupported("integers beyond 64 bits") }
            return .int(result.partialValue)
        }
        switch op {
        case .add: return try checked(a.addingReportingOverflow(b))
        case .subtract: return try checked(a.subtractingReportingOverflow(b))
        case .multiply: return try checked(a.multipliedReportingOverflow(by: b))
        case .divide:
            guard b != 0 else { throw TemplateFailure(.type, "division by zero") }
            return .float(Double(a) / Double(b))
        case .floorDivide, .modulo:
            guard b != 0 else { throw TemplateFailure(.type, "integer division or modulo by zero") }
            // Int.min / -1 is 2^63, which traps in Swift.
            guard !(a == .min && b == -1) else { throw .unsupported("integers beyond 64 bits") }
            var quotient = a / b, remainder = a % b
            if remainder != 0 && (remainder < 0) != (b < 0) {
                quotient -= 1
                remainder += b
            }
            return .int(op == .floorDivide ? quotient : remainder)
        case .power:
            if b < 0 { return try float(.power, Double(a), Double(b)) }
            // By squaring: a template's exponent may be huge, and 0, 1 and -1 never overflow.
            func product(_ x: Int, _ y: Int) throws(TemplateFailure) -> Int {
                let (value, overflow) = x.multipliedReportingOverflow(by: y)
                guard !overflow else { throw .unsupported("integers beyond 64 bits") }
                return value
            }
            var result = 1, base = a, exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 { result = try product(result, base) }
                exponent >>= 1
                if exponent > 0 { base = try product(base, base) }
            }
            return .int(result)
        }
    }

    static func float(_ op: TemplateBinaryOperator, _ a: Double, _ b: Double) throws(TemplateFailure) -> TemplateValue {
        switch op {
        case .add: return .float(a + b)
        case .subtract: return .float(a - b)
        case .multiply: return .float(a * b)
        case .divide:
            guard b != 0 else { throw TemplateFailure(.type, "float division by zero") }
            return .float(a / b)
        case .floorDivide:
            guard b != 0 else { throw TemplateFailure(.type, "float floor division by zero") }
            return .float((a / b).rounded(.down))
        case .modulo:
            guard b != 0 else { throw TemplateFailure(.type, "float modulo") }
            let remainder = a.truncatingRemainder(dividingBy: b)
            // Python's result takes the divisor's sign, a zero one included (3 % -1.5 is -0.0).
            if remainder == 0 { return .float(Double(signOf: b, magnitudeOf: 0)) }
            return .float((remainder < 0) != (b < 0) ? remainder + b : remainder)
        case .power:
            if a == 0 && b < 0 { throw TemplateFailure(.type, "0.0 cannot be raised to a negative power") }
            if a < 0 && b.rounded() != b { throw TemplateFailure.unsupported("a negative number to a fractional power (a complex number)") }
            let result = pow(a, b)
            if result.isInfinite && a.isFinite && b.isFinite { throw TemplateFailure(.type, "(34, 'Numerical result out of range')") }
            return .float(result)
        }
    }
}
