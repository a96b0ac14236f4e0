/// The mean and spread of a figure over seeds.
struct Spread {
    let mean: Double
    /// Sample standard deviation (n − 1); 0 for one value.
    let standardDeviation: Double
    let min: Double
    let max: Double

    init(_ values: [Double]) {
        precondition(!values.isEmpty, "a spread needs at least one value")
        let mean = values.reduce(0, +) / Double(values.count)
        self.mean = mean
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        standardDeviation = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
        min = values.min()!
        max = values.max()!
    }

    /// "0.512 ± 0.010".
    func plusMinus(_ digits: Int = 3) -> String {
        String(format: "%.\(digits)f ± %.\(digits)f", mean, standardDeviation)
    }

    /// "0.0123 (0.0041–0.0310)": for p-values, whose spread is better read as a range.
    func range() -> String {
        "\(significant(mean)) (\(significant(min))–\(significant(max)))"
    }
}

/// Three significant digits, plain or scientific as fits: 0.0123, 1.2e-05.
func significant(_ value: Double) -> String {
    String(format: "%.3g", value)
}
