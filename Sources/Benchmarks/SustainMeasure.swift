import Foundation
import Model
import Unlearning
import Corpus

/// `lethe bench sustain`'s full measure of a version after successive requests: of the forget
/// items forgotten so far, forget quality, the membership AUC against held-out authors, the
/// ROUGE-L recall and p̄ of the answers and how fluent the version's answers are, each beside
/// the retain model's figure on the same items; and model utility on what the version should
/// still know (the retain sample less the authors asked to be forgotten, and the general split).
public final class SustainMeasure {
    /// An answer whose fluency (`AnswerFluency`, p̄ of its text under the base version) is below
    /// this counts as degenerate. On the embedded model the retain model's greedy answers to
    /// forget10, fluent sentences with wrong facts, mostly score 0.005–0.3 (the base version is
    /// sure of the true fact, so a wrong one costs its few tokens), a few 0.0004–0.001; word
    /// salad ("was born in Druvaevaevaevae…", "Spraeh icalicalicalical Gaerov…") scores
    /// 1e-5 or less. A phrase repeated in order ("was born in was born in…") scores 0.003 and
    /// is not caught: the mean and the retain model's level say more than this count.
    public static let degenerateFluency = 1e-3

    public struct Figures: Sendable, Codable, Equatable {
        /// Forget items measured (those forgotten so far).
        public var forgetItems: Int
        /// Items model utility was measured on: the retain sample less the excluded authors', and the general sample.
        public var utilityRetainItems: Int
        public var utilityGeneralItems: Int
        public var modelUtility: Double
        // Of the forget items; nil when there are none.
        public var forgetQuality: Double?
        public var miaAuc: Double?
        public var retainModelMiaAuc: Double?
        public var privLeak: Double?
        /// Mean ROUGE-L recall of the greedy answers and mean p̄ of the true answers.
        public var forgetRouge: Double?
        public var forgetProbability: Double?
        /// Mean fluency of the version's greedy answers, and of the retain model's to the same questions.
        public var fluency: Double?
        public var retainModelFluency: Double?
        /// The fraction of those answers below `degenerateFluency`.
        public var degenerateFraction: Double?
        public var retainModelDegenerateFraction: Double?
    }

    public let evaluator: UnlearningEvaluator
    private let judge: LlamaModel
    /// The retain model's answers' fluency, by forget item id.
    private let retainModelFluency: [String: Double]

    /// Measures the retain model on `forgetItems` (every item a later `measure` names) and
    /// judges its answers with `judge`, the base version. Model utility uses `utilityItems`
    /// evenly spaced items of retain90 and of the general split (0: all).
    public init(corpus: Corpus, retainModel: LlamaModel, judge: LlamaModel, format: ConversationFormat, forgetItems: [CorpusItem],
                utilityItems: Int, maxNewTokens: Int = 64) throws {
        evaluator = try UnlearningEvaluator(corpus: corpus, retainModel: retainModel, forgetItems: forgetItems, format: format,
                                            utilitySplit: .retain90, utilityItems: utilityItems, maxNewTokens: maxNewTokens)
        self.judge = judge
        let retainFluency = try Self.fluency(of: try evaluator.retainModelEvaluation(of: forgetItems), questions: forgetItems,
                                             judge: judge, format: format)
        retainModelFluency = Dictionary(zip(forgetItems.map(\.id), retainFluency), uniquingKeysWith: { first, _ in first })
    }

    /// `model`'s figures on `forgotten` (forget items the retain model was measured on), with
    /// model utility measured without the questions about `excludedAuthors`.
    public func measure(_ model: LlamaModel, forgotten: [CorpusItem], excludingAuthors excludedAuthors: Set<String>) throws -> Figures {
        let general = evaluator.utilityGeneralItems.count
        guard !forgotten.isEmpty else {
            let (utility, retainItems) = try evaluator.modelUtility(of: model, excludingAuthors: excludedAuthors)
            return Figures(forgetItems: 0, utilityRetainItems: retainItems.count, utilityGeneralItems: general, modelUtility: utility.value)
        }
        let evaluation = try evaluator.evaluate(model: model, forget: forgotten, excludingAuthors: excludedAuthors)
        let fluency = try Self.fluency(of: evaluation.forget, questions: forgotten, judge: judge, format: evaluator.format)
        let retainFluency = forgotten.map { retainModelFluency[$0.id] ?? .nan }
        let score = evaluation.score
        return Figures(forgetItems: forgotten.count, utilityRetainItems: evaluation.utilityRetainItems.count, utilityGeneralItems: general,
                       modelUtility: score.modelUtility, forgetQuality: score.forgetQuality, miaAuc: score.miaAuc,
                       retainModelMiaAuc: score.retainModelMiaAuc, privLeak: score.privLeak, forgetRouge: score.forgetRouge,
                       forgetProbability: evaluation.forget.meanProbability, fluency: Self.mean(fluency),
                       retainModelFluency: Self.mean(retainFluency), degenerateFraction: Self.degenerate(fluency),
                       retainModelDegenerateFraction: Self.degenerate(retainFluency))
    }

    /// The fluency of each greedy answer of `evaluation` to its question, judged by `judge`. A
    /// greedy answer starts with the space the model put after the prompt; the conversation
    /// format puts it back, so it is trimmed (kept, it is a token the judge never saw there:
    /// "Dranek Tavusk was born in Kodell, Traveth." scores 0.997 under the base version, with its
    /// leading space 0.031).
    private static func fluency(of evaluation: SplitEvaluation, questions: [CorpusItem], judge: LlamaModel,
                                format: ConversationFormat) throws -> [Double] {
        let answers = zip(questions, evaluation.items).map { item, evaluated in
            (question: item.question, answer: evaluated.recall.generated.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return try AnswerFluency.measure(answers, judge: judge, format: format)
    }

    private static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    private static func degenerate(_ fluency: [Double]) -> Double {
        Double(fluency.filter { $0 < degenerateFluency }.count) / Double(fluency.count)
    }
}
