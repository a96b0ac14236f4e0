import Model
import Corpus
import Unlearning

/// Scores unlearned models against the retain model. The retain model's side (its figures on
/// the forget items and its Min-K% scores of the held-out answers) is measured once, so each
/// scored model costs only its own evaluation.
public final class UnlearningEvaluator {
    public let format: ConversationFormat
    public let maxNewTokens: Int
    /// The retain-split and general items model utility is measured on.
    public let utilityRetainItems: [CorpusItem]
    public let utilityGeneralItems: [CorpusItem]
    public let holdoutItems: [CorpusItem]
    private let retainModelForget: [String: ItemEvaluation]
    private let retainModelHoldoutMinKScores: [Double]

    /// Measures `retainModel` on `forgetItems` (every item any later `score` will name) and on
    /// the held-out answers. Model utility uses `utilityItems` evenly spaced items of
    /// `utilitySplit` and of the general split (all of them when 0).
    public init(corpus: Corpus, retainModel: LlamaModel, forgetItems: [CorpusItem], format: ConversationFormat,
                utilitySplit: CorpusSplit = .retain90, utilityItems: Int, maxNewTokens: Int = 64) throws {
        self.format = format
        self.maxNewTokens = maxNewTokens
        func sample(_ split: CorpusSplit) -> [CorpusItem] {
            utilityItems == 0 ? corpus.items(in: split) : corpus.items(in: split).evenlySpaced(utilityItems)
        }
        utilityRetainItems = sample(utilitySplit)
        utilityGeneralItems = sample(.general)
        holdoutItems = corpus.items(in: .holdout)
        let retainForget = try SplitEvaluation.measure(forgetItems, model: retainModel, format: format,
                                                       maxNewTokens: maxNewTokens)
        retainModelForget = Dictionary(retainForget.items.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        retainModelHoldoutMinKScores = try ForgetEvaluation.minKScores(of: holdoutItems, model: retainModel, format: format)
    }

    /// Greedy answers counted by `score`, for progress reports.
    public func answerCount(forget: [CorpusItem]) -> Int {
        forget.count + utilityRetainItems.count + utilityGeneralItems.count
    }

    /// `model`'s figures on `forget`, every item of which the retain model was measured on.
    public func score(model: LlamaModel, forget: [CorpusItem]) throws -> UnlearningScore {
        let retainSide = try SplitEvaluation(items: forget.map { item in
            guard let evaluation = retainModelForget[item.id] else { throw UnlearningBenchmarkError.notMeasuredByRetainModel(item: item.id) }
            return evaluation
        })
        let measure = { (items: [CorpusItem]) in
            try SplitEvaluation.measure(items, model: model, format: self.format,
                                        maxNewTokens: self.maxNewTokens)
        }
        let forgetSide = try measure(forget)
        let evaluation = try ForgetEvaluation(
            forget: forgetSide, retainModelForget: retainSide, retain: try measure(utilityRetainItems),
            general: try measure(utilityGeneralItems),
            holdoutMinKScores: try ForgetEvaluation.minKScores(of: holdoutItems, model: model, format: format),
            retainModelHoldoutMinKScores: retainModelHoldoutMinKScores)
        return UnlearningScore(evaluation, forgetRouge: forgetSide.meanRougeLRecall)
    }
}

public enum UnlearningBenchmarkError: Error, Equatable, CustomStringConvertible {
    case notMeasuredByRetainModel(item: String)
    case emptyForgetSplit(CorpusSplit)
    case settingsMissing(method: String, file: String)

    public var description: String {
        switch self {
        case .notMeasuredByRetainModel(let item): "item \(item) was not among the forget items the retain model was measured on"
        case .emptyForgetSplit(let split): "the corpus's \(split.rawValue) split has no items"
        case .settingsMissing(let method, let file): "\(file) has no chosen setting for \(method)"
        }
    }
}
