import Foundation
import Kernels
import Model
import XCTest
@testable import Unlearning

/// NPO, SimNPO, gradient ascent, NLL and KL(π_ref ‖ π_θ) against their definitions, at the
/// reference and away from it; what prompts and padding must not change, for every head.
final class ObjectiveBaselineTests: XCTestCase {
    private func cache(_ logits: [Float], _ batch: TokenBatch, _ contents: ReferenceCache.Contents = .distributions) throws -> ReferenceCache {
        try referenceCache(logits, batch, contents)
    }

    /// At θ = ref every example's log-ratio is 0: the loss is (2/β) log 2, and the gradient is
    /// gradient ascent's per example, 2σ(0) = 1 times −(softmax − onehot), over B.
    func testNPOAtTheReferenceIsTwoOverBetaLogTwo() throws {
        let batch = try mixedBatch()
        let logits = referenceAndPolicyLogits(batch, seed: 30).reference
        let reference = try cache(logits, batch, .sequenceLogProbabilities)
        for beta: Float in [0.1, 1] {
            let (loss, gradient) = try evaluate(NPO(beta: beta), logits: logits, batch: batch, reference: reference)
            XCTAssertEqual(Double(loss), 2 / Double(beta) * log(2), accuracy: 1e-6 / Double(beta), "β = \(beta)")
            var expected = [Double](repeating: 0, count: gradient.count)
            for n in Definition.responses(batch).flatMap({ $0 }) {
                let p = Definition.softmax(Definition.row(logits, n))
                for v in 0..<testVocabulary {
                    expected[n * testVocabulary + v] = -(p[v] - (v == Int(batch.targets[n]) ? 1 : 0)) / 3
                }
            }
            XCTAssertLessThan(relativeError(gradient, expected), 1e-5, "β = \(beta)")
        }
    }

    func testLossesMatchTheirDefinitions() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 31)
        let reference = try cache(referenceLogits, batch)
        let cases: [(any LossHead, Double)] = [
            (NPO(), Definition.npo(policy: policy, reference: referenceLogits, batch: batch, beta: 0.1)),
            (NPO(beta: 2), Definition.npo(policy: policy, reference: referenceLogits, batch: batch, beta: 2)),
            (SimNPO(), Definition.simNPO(policy: policy, batch: batch, beta: 4.5, delta: 0)),
            (SimNPO(beta: 1, delta: 0.5), Definition.simNPO(policy: policy, batch: batch, beta: 1, delta: 0.5)),
            (NegativeLogLikelihood(), Definition.meanNLL(policy, batch)),
            (GradientAscent(), -Definition.meanNLL(policy, batch)),
            (ReferenceKL(), Definition.referenceKL(policy: policy, reference: referenceLogits, batch: batch)),
        ]
        for (head, expected) in cases {
            let loss = try evaluate(head, logits: policy, batch: batch, reference: reference).loss
            XCTAssertEqual(Double(loss), expected, accuracy: 1e-5 * abs(expected), "\(head)")
        }
    }

    func testGradientAscentIsNegatedNLL() throws {
        let batch = try mixedBatch()
        let policy = referenceAndPolicyLogits(batch, seed: 32).policy
        let descent = try evaluate(NegativeLogLikelihood(), logits: policy, batch: batch, reference: nil, scale: 0.5)
        let ascent = try evaluate(GradientAscent(), logits: policy, batch: batch, reference: nil, scale: 0.5)
        XCTAssertEqual(ascent.loss, -descent.loss)
        XCTAssertEqual(ascent.gradient, descent.gradient.map { -$0 })
    }

    func testReferenceKLVanishesAtTheReference() throws {
        let batch = try mixedBatch()
        let logits = referenceAndPolicyLogits(batch, seed: 33).reference
        let (loss, gradient) = try evaluate(ReferenceKL(), logits: logits, batch: batch, reference: cache(logits, batch))
        XCTAssertEqual(loss, 0, accuracy: 1e-6)
        XCTAssertLessThan(gradient.map(abs).max()!, 1e-7)
    }

    /// The NLL head is the model's own loss and gradient.
    func testNLLIsTheModelsCrossEntropy() throws {
        let model = LlamaModel(config: LlamaConfig(vocabSize: 16, hiddenSize: 8, intermediateSize: 16, layerCount: 1, headCount: 2,
                                                   keyValueHeadCount: 1, maxPositionEmbeddings: 16, tieWordEmbeddings: true))
        model.initializeRandomly(seed: 5, standardDeviation: 0.5)
        let batch = try mixedBatch()
        try model.forward(batch)
        let logits = Array(model.logits)
        let head = try evaluate(NegativeLogLikelihood(), logits: logits, batch: batch, reference: nil, scale: 0.3)
        XCTAssertEqual(head.loss, model.crossEntropyLoss(), accuracy: 1e-6)
        model.backwardCrossEntropy(scale: 0.3)
        XCTAssertEqual(head.gradient, Array(model.logits))
    }

    /// Prompt and padding logits, whatever they hold, change no head's loss or gradient, and their
    /// gradient rows are zero.
    func testPromptAndPaddingPositionsAreIgnoredByEveryHead() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 34)
        let reference = try cache(referenceLogits, batch)
        let responses = Set(Definition.responses(batch).flatMap { $0 })
        var scrambled = policy
        for n in 0..<batch.tokenCount where !responses.contains(n) {
            for v in 0..<testVocabulary { scrambled[n * testVocabulary + v] = Float((5 * n + 3 * v) % 13) - 6 }
        }
        let heads: [any LossHead] = [DiPO(), DiPO(source: .policy), NPO(), SimNPO(), GradientAscent(), NegativeLogLikelihood(), ReferenceKL()]
        for head in heads {
            let original = try evaluate(head, logits: policy, batch: batch, reference: reference)
            let other = try evaluate(head, logits: scrambled, batch: batch, reference: reference)
            XCTAssertEqual(original.loss, other.loss, "\(head)")
            XCTAssertEqual(original.gradient, other.gradient, "\(head)")
            for n in 0..<batch.tokenCount where !responses.contains(n) {
                XCTAssertEqual(original.gradient[n * testVocabulary..<(n + 1) * testVocabulary].filter { $0 != 0 }.count, 0, "\(head), row \(n)")
            }
        }
    }

    /// SimNPO divides by the response length; a longer answer with the same per-token
    /// likelihood has the same loss.
    func testSimNPONormalisesByLength() throws {
        let short = try TokenBatch(examples: [SupervisedExample(prompt: [1], completion: [3])], length: 2, padToken: 0)
        let long = try TokenBatch(examples: [SupervisedExample(prompt: [1], completion: [3, 3, 3])], length: 4, padToken: 0)
        var rng = SeededGenerator(seed: 35)
        let row = rng.floats(testVocabulary, in: -2...2)
        let head = SimNPO(beta: 1, delta: 0.5)
        let shortLoss = try evaluate(head, logits: row + row, batch: short, reference: nil).loss
        let longLoss = try evaluate(head, logits: row + row + row + row, batch: long, reference: nil).loss
        XCTAssertEqual(shortLoss, longLoss, accuracy: 1e-6 * shortLoss)
        let npoShort = try evaluate(NPO(), logits: row + row, batch: short, reference: cache(row.map { $0 * 0.5 } + row, short)).loss
        let npoLong = try evaluate(NPO(), logits: row + row + row + row, batch: long,
                                   reference: cache((0..<4).flatMap { _ in row.map { $0 * 0.5 } }, long)).loss
        XCTAssertGreaterThan(abs(npoLong - npoShort), 1e-2, "NPO sums over the response instead")
    }

    func testABatchWithoutResponsesIsRefused() throws {
        let batch = try TokenBatch(examples: [SupervisedExample(prompt: [1, 2], completion: [])], length: 3, padToken: 0)
        let logits = [Float](repeating: 0, count: batch.tokenCount * testVocabulary)
        let heads: [any LossHead] = [DiPO(), NPO(), SimNPO(), GradientAscent(), NegativeLogLikelihood(), ReferenceKL()]
        for head in heads {
            let reference = ReferenceCache(examples: [ReferenceCache.Example(targets: [], sequenceLogProbability: 0, finalLogProbability: 0, logProbabilities: [])],
                                           vocabularySize: testVocabulary)
            XCTAssertThrowsError(try evaluate(head, logits: logits, batch: batch, reference: reference), "\(head)") {
                XCTAssertEqual($0 as? ObjectiveError, .noResponsePositions, "\(head)")
            }
        }
    }
}
