import Unlearning
import Corpus

/// A plan that runs methods, with the settings `lethe bench tofu` chose, on one whole forget split.
public protocol SplitBenchmarkPlan {
    var methods: [UnlearningMethod] { get }
    var split: CorpusSplit { get }
    var budget: UnlearningBudget { get }
    var retainItems: Int { get }
    var utilityItems: Int { get }
    var maxNewTokens: Int { get }
}

extension SequentialBenchmark.Plan: SplitBenchmarkPlan {}
extension QuantizationBenchmark.Plan: SplitBenchmarkPlan {}
