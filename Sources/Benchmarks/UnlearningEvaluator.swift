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
        try evaluate(model: model, forget: forget).score
    }

    /// What `evaluate` measured: the score, the forget items' evaluation under the model (its
    /// greedy answers among them), and the retain-split items model utility was measured on.
    public struct Evaluation: Sendable {
        public let score: UnlearningScore
        public let forget: SplitEvaluation
        public let utilityRetainItems: [CorpusItem]
    }

    /// `score`, measuring model utility on the retain-split sample less the questions about
    /// `excludedAuthors` (those asked to be forgotten, which the model should no longer know);
    /// the sample is drawn before they leave it, so it does not move as more authors are excluded.
    public func evaluate(model: LlamaModel, forget: [CorpusItem], excludingAuthors excludedAuthors: Set<String> = []) throws -> Evaluation {
        let retainSide = try retainModelEvaluation(of: forget)
        let forgetSide = try measure(forget, model: model)
        let utility = try utilitySplits(model: model, excludingAuthors: excludedAuthors)
        let evaluation = try ForgetEvaluation(
            forget: forgetSide, retainModelForget: retainSide, retain: utility.retain, general: utility.general,
            holdoutMinKScores: try ForgetEvaluation.minKScores(of: holdoutItems, model: model, format: format),
            retainModelHoldoutMinKScores: retainModelHoldoutMinKScores)
        return Evaluation(score: UnlearningScore(evaluation, forgetRouge: forgetSide.meanRougeLRecall), forget: forgetSide,
                          utilityRetainItems: utility.retainItems)
    }

    /// Model utility alone, as `evaluate` measures it: for a model that has nothing forgotten to score.
    public func modelUtility(of model: LlamaModel, excludingAuthors excludedAuthors: Set<String> = []) throws -> (utility: ModelUtility, retainItems: [CorpusItem]) {
        let utility = try utilitySplits(model: model, excludingAuthors: excludedAuthors)
        return (try ModelUtility(retain: utility.retain.utilityFigures, general: utility.general.utilityFigures), utility.retainItems)
    }

    private func utilitySplits(model: LlamaModel, excludingAuthors excludedAuthors: Set<String>)
        throws -> (retain: SplitEvaluation, general: SplitEvaluation, retainItems: [CorpusItem]) {
        let retainItems = utilityRetainItems(excludingAuthors: excludedAuthors)
        return (try measure(retainItems, model: model), try measure(utilityGeneralItems, model: model), retainItems)
    }

    private func measure(_ items: [CorpusItem], model: LlamaModel) throws -> SplitEvaluation {
        try SplitEvaluation.measure(items, model: model, format: format, maxNewTokens: maxNewTokens)
    }

    /// The retain-split items model utility is measured on when `authors` are left out.
    public func utilityRetainItems(excludingAuthors authors: Set<String>) -> [CorpusItem] {
        utilityRetainItems.filter { item in item.author.map { !authors.contains($0) } ?? true }
    }

    /// The retain model's evaluation of `items` (its greedy answers among it), every one of
    /// which it was measured on at the start.
    public func retainModelEvaluation(of items: [CorpusItem]) throws -> SplitEvaluation {
        try SplitEvaluation(items: items.map { item in
            guard let evaluation = retainModelForget[item.id] else { throw UnlearningBenchmarkError.notMeasuredByRetainModel(item: item.id) }
            return evaluation
        })
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
