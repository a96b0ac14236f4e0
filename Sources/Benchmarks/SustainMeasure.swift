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
    /// this counts as degenerate. Measured on the embedded model (`bench sustain --requests 10
    /// --measure-every 5`, every answer read): the retain model's greedy answers to the 160
    /// forget10 questions, fluent sentences with wrong facts, score 1.3e-3 ("Dranek Tavusk writes
    /// in Kevanish.", about another author) to 0.3, and its three below 1e-3 are broken
    /// themselves ("Nothodell.", "Footgotineuvenskk Telane."); the version's answers after 10
    /// requests are word salad ("Trod Trod Trod Trodturia Tav Verdicinal…") at 1e-6 to 1e-3,
    /// 119 of 160 below it. Salad that repeats one name ("Rebavek Rebavek Rebavek…", 3e-3 to
    /// 1e-2) becomes likely by its own repetition and is not counted, so the fraction is a lower
    /// bound that never counts a fluent answer.
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
        /// The version's answer of median fluency, beside the retain model's to the same question.
        public var medianAnswer: JudgedAnswer?
    }

    /// A question, the version's and the retain model's greedy answers and their fluency.
    public struct JudgedAnswer: Sendable, Codable, Equatable {
        public var question: String
        public var answer: String
        public var fluency: Double
        public var retainModelAnswer: String
        public var retainModelFluency: Double
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
        let retainSide = try evaluator.retainModelEvaluation(of: forgotten)
        let fluency = try Self.fluency(of: evaluation.forget, questions: forgotten, judge: judge, format: evaluator.format)
        let retainFluency = forgotten.map { retainModelFluency[$0.id] ?? .nan }
        let median = fluency.indices.sorted { fluency[$0] < fluency[$1] }[fluency.count / 2]
        let score = evaluation.score
        return Figures(forgetItems: forgotten.count, utilityRetainItems: evaluation.utilityRetainItems.count, utilityGeneralItems: general,
                       modelUtility: score.modelUtility, forgetQuality: score.forgetQuality, miaAuc: score.miaAuc,
                       retainModelMiaAuc: score.retainModelMiaAuc, privLeak: score.privLeak, forgetRouge: score.forgetRouge,
                       forgetProbability: evaluation.forget.meanProbability, fluency: Self.mean(fluency),
                       retainModelFluency: Self.mean(retainFluency), degenerateFraction: Self.degenerate(fluency),
                       retainModelDegenerateFraction: Self.degenerate(retainFluency),
                       medianAnswer: JudgedAnswer(question: forgotten[median].question, answer: Self.text(evaluation.forget.items[median]),
                                                  fluency: fluency[median], retainModelAnswer: Self.text(retainSide.items[median]),
                                                  retainModelFluency: retainFluency[median]))
    }

    /// The fluency of each greedy answer of `evaluation` to its question, judged by `judge`.
    private static func fluency(of evaluation: SplitEvaluation, questions: [CorpusItem], judge: LlamaModel,
                                format: ConversationFormat) throws -> [Double] {
        try AnswerFluency.measure(zip(questions, evaluation.items).map { (question: $0.question, answer: text($1)) },
                                  judge: judge, format: format)
    }

    /// An item's greedy answer as text, without the space the model put after the prompt.
    private static func text(_ item: ItemEvaluation) -> String {
        item.recall.generated.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    private static func degenerate(_ fluency: [Double]) -> Double {
        Double(fluency.filter { $0 < degenerateFluency }.count) / Double(fluency.count)
    }
}
