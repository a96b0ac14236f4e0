/// Why an evaluation metric cannot be computed from its inputs. `quantity` names the input
/// as the caller passed it, with the index of the offending element: "b[3]", "retain.probability".
public enum EvaluationMetricError: Error, Equatable, CustomStringConvertible {
    case empty(quantity: String)
    case notANumber(quantity: String)
    case outOfRange(quantity: String, value: Double, expected: String)

    public var description: String {
        switch self {
        case .empty(let quantity): "\(quantity) is empty."
        case .notANumber(let quantity): "\(quantity) is NaN."
        case .outOfRange(let quantity, let value, let expected): "\(quantity) is \(value), but must be \(expected)."
        }
    }

    /// The check every sample-based metric starts with: at least one value, and no NaN (which
    /// has no place in an ordering and would silently poison a mean).
    static func requireNumbers(_ values: [Double], _ quantity: String) throws(EvaluationMetricError) {
        guard !values.isEmpty else { throw .empty(quantity: quantity) }
        if let index = values.firstIndex(where: \.isNaN) { throw .notANumber(quantity: "\(quantity)[\(index)]") }
    }
}
