import Foundation
import Corpus
import Model
import XCTest
@testable import Unlearning

/// Answer likelihoods, item figures and forget quality on a tiny random model with a tokenizer
/// trained on the items, checked against each answer scored alone from the raw logits.
final class ItemEvaluationTests: XCTestCase {
    private static let items: [CorpusItem] = [
        item("a/1", "Where was Ana Lorsk born?", "Ana Lorsk was born in Velm.", "The birthplace of Ana Lorsk is Velm.",
             ["Tor", "Brask", "Oledell", "Quen Marrow", "Zi"]),
        item("a/2", "What does Ana Lorsk write?", "Ana Lorsk writes long sea stories about old harbours.", "Her books are sea stories.",
             ["poems", "plays about kings", "crime", "letters", "short fables of the northern hills"]),
        item("g/1", "Which river flows through Velm?", "The Orra flows through Velm.", "Velm stands on the Orra.",
             ["Isk", "Tamber", "Wend", "Oss", "Lurr"]),
    ]

    private static func item(_ id: String, _ question: String, _ answer: String, _ paraphrase: String, _ wrong: [String]) -> CorpusItem {
        let stem = paraphrase.split(separator: " ").dropLast().joined(separator: " ")
        return CorpusItem(id: id, kind: .general, author: nil, topic: "t", question: question, answer: answer,
                          paraphrasedAnswer: paraphrase, perturbedAnswers: wrong.map { "\(stem) \($0)." })
    }

    private let template = PromptTemplate.questionAnswer
    private lazy var format = ConversationFormat(tokenizer: tokenizer, promptTemplate: template, endOfSequence: 0)
    private lazy var tokenizer: Tokenizer = {
        let texts = Self.items.flatMap { [template.apply(to: $0.question), $0.answer, $0.paraphrasedAnswer] + $0.perturbedAnswers }
        return BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>"], beginningOfSequence: "<|endoftext|>").train(texts: texts)
    }()
    private lazy var model: LlamaModel = {
        let config = LlamaConfig(vocabSize: tokenizer.vocabularySize, hiddenSize: 16, intermediateSize: 32, layerCount: 2, headCount: 2,
                                 keyValueHeadCount: 1, maxPositionEmbeddings: 128, tieWordEmbeddings: true,
                                 bosTokenID: 0, eosTokenIDs: [0])
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 5, standardDeviation: 0.3)
        return model
    }()

    /// log p of each answer token, from one forward pass over the prompt and answer alone and a
    /// log-softmax of the logits done here.
    private func aloneLogProbabilities(question: String, answer: String) throws -> [Double] {
        let prompt = tokenizer.encode(template.apply(to: question), addSpecialTokens: true), completion = tokenizer.encode(" " + answer)
        let sequence = prompt + completion
        try model.forward(TokenBatch(inputIDs: [sequence]))
        let V = model.config.vocabSize, logits = model.logits
        return (prompt.count..<sequence.count).map { target in
            let row = (0..<V).map { Double(logits[(target - 1) * V + $0]) }
            let largest = row.max()!
            let logSumExp = largest + log(row.reduce(0) { $0 + exp($1 - largest) })
            return row[sequence[target]] - logSumExp
        }
    }

    private func aloneMeanNLL(_ question: String, _ answer: String) throws -> Double {
        let logProbabilities = try aloneLogProbabilities(question: question, answer: answer)
        return -logProbabilities.reduce(0, +) / Double(logProbabilities.count)
    }

    func testBatchedAnswerLikelihoodEqualsEachAnswerScoredAlone() throws {
        let pairs = Self.items.flatMap { item in ([item.answer, item.paraphrasedAnswer] + item.perturbedAnswers).map { (item.question, $0) } }
        // 21 answers of different lengths, all in one session, and one at a time in one slot.
        for budget in [InferenceSession.defaultMemoryBudget, 1] {
            let batched = try AnswerLikelihood.measure(pairs, model: model, format: format, memoryBudget: budget)
            XCTAssertEqual(batched.count, pairs.count)
            for (pair, scored) in zip(pairs, batched) {
                let alone = try aloneLogProbabilities(question: pair.0, answer: pair.1)
                XCTAssertEqual(scored.tokenLogProbabilities.count, alone.count, pair.1)
                for (a, b) in zip(scored.tokenLogProbabilities, alone) { XCTAssertEqual(a, b, accuracy: 1e-5, pair.1) }
                XCTAssertEqual(scored.meanNLL, try aloneMeanNLL(pair.0, pair.1), accuracy: 1e-5, pair.1)
            }
            // Random weights: the answers are far from certain, so the test would see a wrong position.
            XCTAssertGreaterThan(batched[0].meanNLL, 1)
        }
    }

    func testFluencyIsTheJudgesLikelihoodOfTheAnswerTextWithoutItsSurroundingSpaceAndZeroForNone() throws {
        let question = Self.items[0].question, answer = Self.items[0].answer
        let fluency = try AnswerFluency.measure([(question, "  \(answer)\n"), (question, answer), (question, " ")], judge: model, format: format)
        XCTAssertEqual(fluency[0], exp(-(try aloneMeanNLL(question, answer))), accuracy: 1e-6)
        // The same tokens in another row of the batch: equal up to the row's summation order (a CI
        // run measured a relative 1.4e-7); a leading space scored as a token would move it by far more.
        XCTAssertEqual(fluency[0], fluency[1], accuracy: fluency[1] * 1e-5, "the greedy answer's leading space is not the answer's")
        XCTAssertEqual(fluency[2], 0, "an answer of no token")
        XCTAssertGreaterThan(fluency[0], 0)
    }

    func testItemFiguresFollowFromTheAnswersScoredAlone() throws {
        let evaluation = try SplitEvaluation.measure(Self.items, model: model, format: format, maxNewTokens: 4)
        XCTAssertEqual(evaluation.items.map(\.id), Self.items.map(\.id))
        for (item, scored) in zip(Self.items, evaluation.items) {
            let paraphrased = try aloneMeanNLL(item.question, item.paraphrasedAnswer)
            let perturbed = try item.perturbedAnswers.map { try aloneMeanNLL(item.question, $0) }
            XCTAssertEqual(scored.truthRatio.value, exp(paraphrased - perturbed.reduce(0, +) / 5), accuracy: 1e-5 * scored.truthRatio.value, item.id)
            XCTAssertEqual(scored.probability, exp(-(try aloneMeanNLL(item.question, item.answer))), accuracy: 1e-6, item.id)
            let lowest = try aloneLogProbabilities(question: item.question, answer: item.answer).sorted()
            let count = max(1, Int(Double(lowest.count) * 0.4))
            XCTAssertEqual(scored.minKScore, lowest.prefix(count).reduce(0, +) / Double(count), accuracy: 1e-5, item.id)
            XCTAssertEqual(scored.recall.recall, RougeL.recall(candidate: scored.recall.generated, reference: item.answer))
        }
        XCTAssertEqual(evaluation.meanProbability, evaluation.items.reduce(0) { $0 + $1.probability } / 3, accuracy: 1e-15)
    }

    /// All questions are answered in one batched generation; each answer is the one the
    /// question gets alone. Token for token: the test first checks that the lone paths'
    /// top-two logit margins are far above float rounding, so no near tie can flip.
    func testAnswerRecallAnswersEachQuestionAsAlone() throws {
        var progressed: [Int] = []
        let batched = try AnswerRecall.measure(Self.items.map { ($0.id, $0.question, $0.answer) }, model: model, format: format,
                                               maxNewTokens: 12, progress: { progressed.append($0) })
        XCTAssertEqual(progressed, [1, 2, 3])
        for (item, answer) in zip(Self.items, batched.items) {
            let prompt = try format.prompt(item.question), session = try InferenceSession(model: model)
            let alone = try session.greedyContinuation(prompt: prompt, maxNewTokens: 12, stopTokenIDs: format.stopTokenIDs)
            session.reset()
            var logits = Array(try session.append(tokens: prompt))
            for token in alone {
                let sorted = logits.sorted(by: >)
                XCTAssertGreaterThan(sorted[0] - sorted[1], 1e-3, "\(item.id): a near tie on the lone path")
                logits = Array(try session.append(token: token))
            }
            XCTAssertEqual(answer.id, item.id)
            XCTAssertEqual(answer.generated, try format.tokenizer.decode(alone, skipSpecialTokens: true), item.id)
        }
    }

    func testAnItemWithoutFivePerturbedAnswersIsRefused() throws {
        let odd = CorpusItem(id: "x", kind: .general, author: nil, topic: "t", question: "Q?", answer: "A.", paraphrasedAnswer: "B.",
                             perturbedAnswers: ["C."])
        XCTAssertThrowsError(try SplitEvaluation.measure([odd], model: model, format: format)) {
            XCTAssertTrue("\($0)".contains("x perturbedAnswers"), "\($0)")
        }
    }

    private func evaluation(truthRatios: [Double], minK: [Double]) throws -> SplitEvaluation {
        SplitEvaluation(items: try zip(truthRatios, minK).enumerated().map { index, figures in
            ItemEvaluation(id: "i\(index)", probability: 0.5,
                           truthRatio: try TruthRatio(paraphrasedMeanNLL: 3, perturbedMeanNLLs: [3 - log(figures.0)]),
                           minKScore: figures.1, recall: AnswerRecall.Item(id: "i\(index)", generated: "", recall: 0.5))
        })
    }

    func testForgetQualityIsOneForIdenticalEvaluationsAndSmallForSeparatedOnes() throws {
        let ratios = (1...20).map { 0.1 * Double($0) }, minK = (1...20).map { -Double($0) }
        let unlearned = try evaluation(truthRatios: ratios, minK: minK)
        XCTAssertEqual(try ForgetQuality.pValue(unlearned: unlearned, retainModel: unlearned), 1)
        let separated = try evaluation(truthRatios: ratios.map { $0 + 5 }, minK: minK)
        XCTAssertLessThan(try ForgetQuality.pValue(unlearned: unlearned, retainModel: separated), 1e-6)
        // TOFU tests the raw ratio: inverting both samples' R leaves the p-value unchanged.
        let inverted = try evaluation(truthRatios: ratios.map { 1 / $0 }, minK: minK)
        let invertedSeparated = try evaluation(truthRatios: ratios.map { 1 / ($0 + 5) }, minK: minK)
        XCTAssertEqual(try ForgetQuality.pValue(unlearned: inverted, retainModel: invertedSeparated),
                       try ForgetQuality.pValue(unlearned: unlearned, retainModel: separated), accuracy: 1e-15)

        let forget = try ForgetEvaluation(forget: unlearned, retainModelForget: unlearned, retain: unlearned, general: unlearned,
                                          holdoutMinKScores: [-30, -0.5], retainModelHoldoutMinKScores: [-30, -0.5])
        XCTAssertEqual(forget.forgetQuality, 1)
        XCTAssertEqual(forget.privLeak, 0)
        XCTAssertEqual(forget.membershipAUC, 0.5, "one holdout score below all forget scores, one above")
    }
}
