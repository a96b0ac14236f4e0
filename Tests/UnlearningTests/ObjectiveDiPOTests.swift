import Foundation
import Kernels
import Model
import XCTest
@testable import Unlearning

/// DiPO against dipo.md: the loss through sequence KL divergences, the closed-form gradient,
/// the values at θ = ref, the mask rules, and what prompts, padding and batching must not change.
final class ObjectiveDiPOTests: XCTestCase {
    private func cache(_ logits: [Float], _ batch: TokenBatch) throws -> ReferenceCache {
        try referenceCache(logits, batch, .distributions)
    }

    private let allOptions: [DiPO] = [
        DiPO(), DiPO(highConfidence: .topK, k: 2, gamma: 3), DiPO(highConfidence: .target, gamma: 1, beta: 2),
        DiPO(k: 3, gamma: 4, beta: 0.5), DiPO(gamma: 2, source: .policy), DiPO(highConfidence: .topK, gamma: 2, source: .policy),
    ]

    func testLossAndGradientMatchTheDefinitionAndTheClosedForm() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 20)
        let reference = try cache(referenceLogits, batch)
        for head in allOptions {
            let source = head.source == .reference ? referenceLogits : policy
            let (loss, gradient) = try evaluate(head, logits: policy, batch: batch, reference: reference)
            let expected = Definition.dipo(policy: policy, reference: referenceLogits, sourceLogits: source, batch: batch, head)
            XCTAssertEqual(Double(loss), expected.loss, accuracy: 1e-5 * expected.loss, "\(head)")
            let closedForm = Definition.dipoGradient(margins: expected.margins, sourceLogits: source, batch: batch, head)
            XCTAssertLessThan(relativeError(gradient, closedForm), 1e-5, "\(head)")
        }
    }

    /// At θ = ref every margin is 0: the loss is log 2 and the gradient −(β/2)(π⁺ − π⁻) (over B).
    func testAtTheReferenceLossIsLogTwoAndGradientHalfTheDifference() throws {
        for batch in [try TokenBatch(examples: [mixedExamples[0]], length: 5, padToken: 0), try mixedBatch()] {
            let referenceLogits = referenceAndPolicyLogits(batch, seed: 21).reference
            let reference = try cache(referenceLogits, batch)
            let examples = Double(batch.batchSize)
            for head in allOptions {
                let (loss, gradient) = try evaluate(head, logits: referenceLogits, batch: batch, reference: reference)
                XCTAssertEqual(Double(loss), log(2), accuracy: 1e-6, "\(head)")
                var expected = [Double](repeating: 0, count: gradient.count)
                for n in Definition.responses(batch).flatMap({ $0 }) {
                    let (plus, minus) = Definition.preferencePair(Definition.row(referenceLogits, n), target: Int(batch.targets[n]), head)
                    for v in 0..<testVocabulary {
                        expected[n * testVocabulary + v] = -Double(head.beta) / 2 * (exp(plus[v]) - exp(minus[v])) / examples
                    }
                }
                XCTAssertLessThan(relativeError(gradient, expected), 1e-5, "\(head), B = \(batch.batchSize)")
            }
        }
    }

    /// The gradient suppresses the masked tokens and lifts the others (gradient descent moves
    /// against it), and each rule masks what it names.
    func testMaskRulesSuppressTheirTokens() throws {
        // One response position whose target (token 2) is the second most likely.
        let batch = try TokenBatch(examples: [SupervisedExample(prompt: [1], completion: [2])], length: 2, padToken: 0)
        var logits = [Float](repeating: 0, count: batch.tokenCount * testVocabulary)
        let row: [Float] = [0.5, 3, 2, -1, 1, 0, -2]
        logits.replaceSubrange(0..<testVocabulary, with: row)
        let reference = try cache(logits, batch)
        let expectations: [(DiPO, Set<Int>)] = [
            (DiPO(highConfidence: .topK), [1]), (DiPO(highConfidence: .target), [2]),
            (DiPO(), [1, 2]), (DiPO(highConfidence: .topK, k: 3), [1, 2, 4]), (DiPO(k: 2), [1, 2]),
        ]
        for (head, masked) in expectations {
            let gradient = try evaluate(head, logits: logits, batch: batch, reference: reference).gradient
            for v in 0..<testVocabulary {
                if masked.contains(v) {
                    XCTAssertGreaterThan(gradient[v], 0, "\(head.highConfidence) k=\(head.k): token \(v) is suppressed")
                } else {
                    XCTAssertLessThan(gradient[v], 0, "\(head.highConfidence) k=\(head.k): token \(v) is lifted")
                }
            }
            XCTAssertEqual(gradient[testVocabulary..<gradient.count].filter { $0 != 0 }.count, 0, "the padding row")
        }
    }

    func testTopKSelectionBreaksTiesTowardTheLowerID() {
        let x: [Float] = [1, 3, 3, 0, 3, 2]
        var masked = [Int32](repeating: -1, count: 4)
        func select(_ rule: DiPO.HighConfidence, k: Int, target: Int32) -> [Int32] {
            let count = selectHighConfidenceTokens(x, vocabulary: x.count, target: target, rule: rule, k: k, into: &masked)
            return Array(masked[..<count])
        }
        XCTAssertEqual(select(.topK, k: 2, target: 0), [1, 2])
        XCTAssertEqual(select(.topK, k: 3, target: 0), [1, 2, 4])
        XCTAssertEqual(select(.topK, k: 4, target: 0), [1, 2, 4, 5])
        XCTAssertEqual(select(.topKAndTarget, k: 1, target: 5), [1, 5])
        XCTAssertEqual(select(.topKAndTarget, k: 2, target: 2), [1, 2])
        XCTAssertEqual(select(.target, k: 3, target: 3), [3])
    }

    /// Prompt and padding logits do not enter the loss and get zero gradient; an example with no
    /// response does not count in the mean; extra padding changes nothing.
    func testPromptAndPaddingPositionsAreIgnored() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 22)
        let reference = try cache(referenceLogits, batch)
        let responses = Set(Definition.responses(batch).flatMap { $0 })
        let head = DiPO(gamma: 3)
        let (loss, gradient) = try evaluate(head, logits: policy, batch: batch, reference: reference)

        var scrambled = policy
        for n in 0..<batch.tokenCount where !responses.contains(n) {
            for v in 0..<testVocabulary { scrambled[n * testVocabulary + v] = Float(37 * n + v).truncatingRemainder(dividingBy: 11) - 5 }
        }
        let other = try evaluate(head, logits: scrambled, batch: batch, reference: reference)
        XCTAssertEqual(other.loss, loss)
        XCTAssertEqual(other.gradient, gradient)
        for n in 0..<batch.tokenCount where !responses.contains(n) {
            XCTAssertEqual(gradient[n * testVocabulary..<(n + 1) * testVocabulary].filter { $0 != 0 }.count, 0, "row \(n)")
        }

        // The same examples padded to 9, plus a prompt-only example: the same loss and gradients.
        let padded = try TokenBatch(examples: mixedExamples + [SupervisedExample(prompt: [3, 3], completion: [])],
                                    length: 9, padToken: 0)
        let (paddedReference, paddedPolicy) = (repad(referenceLogits, from: batch, to: padded), repad(policy, from: batch, to: padded))
        let paddedResult = try evaluate(head, logits: paddedPolicy, batch: padded, reference: cache(paddedReference, padded))
        XCTAssertEqual(Double(paddedResult.loss), Double(loss), accuracy: 1e-6)
        let expectedGradient = repad(gradient, from: batch, to: padded, filler: { _ in 0 })
        XCTAssertLessThan(relativeError(paddedResult.gradient, expectedGradient.map(Double.init)), 1e-6)
    }

    /// A batch's loss is the mean of its examples' losses, and each example's gradient is its
    /// own divided by the number of examples.
    func testBatchMixingLengthsIsTheMeanOfItsExamples() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 23)
        let head = DiPO(k: 2, gamma: 2, beta: 2)
        let whole = try evaluate(head, logits: policy, batch: batch, reference: cache(referenceLogits, batch))
        var lossSum = 0.0
        let T = batch.length, V = testVocabulary
        for (b, example) in mixedExamples.enumerated() {
            let single = try TokenBatch(examples: [example], length: example.tokenCount, padToken: 0)
            let rows = b * T * V..<(b * T + example.tokenCount) * V
            let alone = try evaluate(head, logits: Array(policy[rows]), batch: single,
                                     reference: cache(Array(referenceLogits[rows]), single))
            lossSum += Double(alone.loss)
            XCTAssertLessThan(relativeError(Array(whole.gradient[rows]), alone.gradient.map { Double($0) / 3 }), 1e-6, "example \(b)")
        }
        XCTAssertEqual(Double(whole.loss), lossSum / 3, accuracy: 1e-6)
    }

    /// A reference that is all but certain and a γ as large as its lead: the unmasked mass
    /// (about e^−40) is far below a Double's resolution of the total, yet it decides π⁺. Summed
    /// as total − masked mass it would vanish and π⁺ come out wrong.
    func testLargeGammaOnAConfidentReferenceIsStable() throws {
        let batch = try TokenBatch(examples: [SupervisedExample(prompt: [1], completion: [3, 4])], length: 3, padToken: 0)
        var rng = SeededGenerator(seed: 24)
        var referenceLogits = rng.floats(batch.tokenCount * testVocabulary, in: -1...1)
        referenceLogits[3] = 40  // position 0's target
        referenceLogits[testVocabulary + 4] = 38
        let policy = zip(referenceLogits, rng.floats(referenceLogits.count, in: -0.5...0.5)).map(+)
        let head = DiPO(gamma: 40, beta: 1)
        let (loss, gradient) = try evaluate(head, logits: policy, batch: batch, reference: cache(referenceLogits, batch))
        let expected = Definition.dipo(policy: policy, reference: referenceLogits, sourceLogits: referenceLogits, batch: batch, head)
        XCTAssertEqual(Double(loss), expected.loss, accuracy: 1e-4 * expected.loss)
        let closedForm = Definition.dipoGradient(margins: expected.margins, sourceLogits: referenceLogits, batch: batch, head)
        XCTAssertLessThan(relativeError(gradient, closedForm), 1e-4)
    }

    func testRefusesWhatItCannotUse() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 25)
        func refusal(_ reference: ReferenceCache?, head: DiPO = DiPO(), logits: [Float]? = nil) -> ObjectiveError? {
            do {
                _ = try evaluate(head, logits: logits ?? policy, batch: batch, reference: reference)
                return nil
            } catch { return error as? ObjectiveError }
        }
        XCTAssertEqual(refusal(nil), .missingReference(needs: .distributions))
        XCTAssertEqual(refusal(try referenceCache(referenceLogits, batch, .sequenceLogProbabilities)),
                       .missingReference(needs: .distributions))
        let full = try referenceCache(referenceLogits, batch, .distributions)
        let swapped = ReferenceCache(examples: [full.examples[0], full.examples[2], full.examples[1]], vocabularySize: testVocabulary)
        XCTAssertEqual(refusal(swapped), .referenceTargets(example: 1))
        var altered = mixedExamples
        altered[0].completion = [3, 4, 6]
        let otherAnswer = try referenceCache(referenceLogits, TokenBatch(examples: altered, length: 6, padToken: 0), .distributions)
        XCTAssertEqual(refusal(otherAnswer), .referenceTargets(example: 0), "the same shape, another answer")
        let short = ReferenceCache(examples: Array(full.examples.prefix(2)), vocabularySize: testVocabulary)
        XCTAssertEqual(refusal(short), .referenceShape(cacheExamples: 2, cacheVocabulary: 7, batchExamples: 3, batchVocabulary: 7))
        XCTAssertEqual(refusal(full, head: DiPO(k: 0)), .invalidParameter(name: "k", value: 0))
        XCTAssertEqual(refusal(full, head: DiPO(highConfidence: .topK, k: 8)), .invalidParameter(name: "k", value: 8))
        XCTAssertEqual(refusal(full, head: DiPO(gamma: 0)), .invalidParameter(name: "gamma", value: 0))
        XCTAssertEqual(refusal(full, head: DiPO(beta: -1)), .invalidParameter(name: "beta", value: -1))
        XCTAssertEqual(refusal(full, logits: Array(policy.dropLast())), .logitsShape(count: policy.count - 1, tokenCount: 18))
        XCTAssertNil(refusal(full, head: DiPO(highConfidence: .target, k: 0)), "k is unused by the target rule")
    }
}

/// Logits laid out for `batch` moved to `padded`'s rows (the same examples first, longer rows);
/// the new entries come from `filler` (by default a pattern that must not matter).
func repad(_ logits: [Float], from batch: TokenBatch, to padded: TokenBatch,
           filler: (Int) -> Float = { Float($0 % 5) - 2 }) -> [Float] {
    let V = testVocabulary
    var result = (0..<padded.tokenCount * V).map(filler)
    for b in 0..<batch.batchSize {
        for t in 0..<batch.length {
            let from = (b * batch.length + t) * V, to = (b * padded.length + t) * V
            result.replaceSubrange(to..<to + V, with: logits[from..<from + V])
        }
    }
    return result
}
