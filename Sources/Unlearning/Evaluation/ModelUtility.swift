/// TOFU's model utility: how much of what it should keep the model still knows, as the harmonic
/// mean of three figures on the retain split and the same three on the general-facts split.
/// The harmonic mean is dragged down by the worst figure, so no split or measure can be
/// sacrificed for the others.
public struct ModelUtility: Sendable, Equatable {
    /// The three figures of one split, each in [0, 1] and averaged over its questions.
    public struct SplitFigures: Sendable, Equatable {
        /// Mean p̄(answer | question) = exp(−mean token NLL).
        public let probability: Double
        /// Mean ROUGE-L recall of the greedy answers.
        public let rougeLRecall: Double
        /// Mean `TruthRatio.score`, max(0, 1 − R).
        public let truthRatioScore: Double

        public init(probability: Double, rougeLRecall: Double, truthRatioScore: Double) {
            self.probability = probability
            self.rougeLRecall = rougeLRecall
            self.truthRatioScore = truthRatioScore
        }
    }

    public let retain: SplitFigures
    public let general: SplitFigures
    /// The harmonic mean of the six figures.
    public let value: Double

    public init(retain: SplitFigures, general: SplitFigures) throws(EvaluationMetricError) {
        var figures: [(String, Double)] = []
        for (split, f) in [("retain", retain), ("general", general)] {
            figures += [("\(split).probability", f.probability), ("\(split).rougeLRecall", f.rougeLRecall),
                        ("\(split).truthRatioScore", f.truthRatioScore)]
        }
        for (quantity, figure) in figures where !(0...1).contains(figure) {
            if figure.isNaN { throw .notANumber(quantity: quantity) }
            throw .outOfRange(quantity: quantity, value: figure, expected: "in [0, 1]")
        }
        self.retain = retain
        self.general = general
        value = try Self.harmonicMean(figures.map(\.1))
    }

    /// n / Σ 1/xᵢ, and 0 when any figure is 0 (the limit, as `scipy.stats.hmean` gives).
    public static func harmonicMean(_ figures: [Double]) throws(EvaluationMetricError) -> Double {
        try EvaluationMetricError.requireNumbers(figures, "figures")
        for (index, figure) in figures.enumerated() where !(figure >= 0 && figure.isFinite) {
            throw .outOfRange(quantity: "figures[\(index)]", value: figure, expected: "finite and ≥ 0")
        }
        if figures.contains(0) { return 0 }
        return Double(figures.count) / figures.reduce(0) { $0 + 1 / $1 }
    }
}
