import Foundation
import Kernels
import Model
import XCTest
@testable import Unlearning

/// What the reference cache keeps, how big it is, and that examples regroup into new batches.
final class ObjectiveReferenceCacheTests: XCTestCase {
    func testCacheKeepsTheLogProbabilitiesOfResponsePositionsOnly() throws {
        let batch = try mixedBatch()
        let logits = referenceAndPolicyLogits(batch, seed: 40).reference
        let cache = try referenceCache(logits, batch, .distributions)
        let responses = Definition.responses(batch)
        let sequenceLogProbabilities = Definition.sequenceLogProbabilities(logits, batch)
        XCTAssertEqual(cache.examples.map(\.targets), [[3, 4, 5], [2], [6, 0]])
        for (b, example) in cache.examples.enumerated() {
            XCTAssertEqual(example.sequenceLogProbability, sequenceLogProbabilities[b]!, accuracy: 1e-5)
            XCTAssertEqual(example.logProbabilities.count, responses[b].count * testVocabulary)
            let expected = responses[b].flatMap { Definition.logSoftmax(Definition.row(logits, $0)) }
            for (cached, exact) in zip(example.logProbabilities, expected) { XCTAssertEqual(Double(cached), exact, accuracy: 1e-6) }
        }
        // 6 response positions of 18: V floats and a target each, and one Double per example.
        XCTAssertEqual(cache.byteCount, 6 * (testVocabulary + 1) * 4 + 3 * 8)

        let sequences = try referenceCache(logits, batch, .sequenceLogProbabilities)
        XCTAssertEqual(sequences.byteCount, 6 * 4 + 3 * 8)
        XCTAssertEqual(sequences.examples.map(\.sequenceLogProbability), cache.examples.map(\.sequenceLogProbability))
        XCTAssertTrue(sequences.examples.allSatisfy { $0.logProbabilities.isEmpty })
    }

    /// Cached examples regroup into another batch, in another order and padding, and give the
    /// cache that batch's own reference pass would.
    func testExamplesRegroupIntoOtherBatches() throws {
        let batch = try mixedBatch()
        let logits = referenceAndPolicyLogits(batch, seed: 41).reference
        let cache = try referenceCache(logits, batch, .distributions)

        let regrouped = try TokenBatch(examples: [mixedExamples[2], mixedExamples[0]], length: 8, padToken: 0)
        let V = testVocabulary
        var regroupedLogits = [Float](repeating: 1, count: regrouped.tokenCount * V)
        for (row, b) in [2, 0].enumerated() {
            for t in 0..<batch.length {
                let from = (b * batch.length + t) * V, to = (row * regrouped.length + t) * V
                regroupedLogits.replaceSubrange(to..<to + V, with: logits[from..<from + V])
            }
        }
        let direct = try referenceCache(regroupedLogits, regrouped, .distributions)
        let gathered = ReferenceCache(examples: [cache.examples[2], cache.examples[0]], vocabularySize: V)
        XCTAssertEqual(gathered, direct)
        let policy = regroupedLogits.map { $0 * 0.8 }
        XCTAssertEqual(try evaluate(DiPO(), logits: policy, batch: regrouped, reference: gathered).loss,
                       try evaluate(DiPO(), logits: policy, batch: regrouped, reference: direct).loss)
    }

    func testCacheFromAModelIsTheCacheOfItsLogits() throws {
        let model = LlamaModel(config: LlamaConfig(vocabSize: testVocabulary, hiddenSize: 8, intermediateSize: 16, layerCount: 1,
                                                   headCount: 2, keyValueHeadCount: 1, maxPositionEmbeddings: 16,
                                                   tieWordEmbeddings: false))
        model.initializeRandomly(seed: 6, standardDeviation: 0.5)
        let batch = try mixedBatch()
        let fromModel = try ReferenceCache(model: model, batch: batch, contents: .distributions)
        let fromLogits = try ReferenceCache(logits: UnsafeBufferPointer(model.logits), batch: batch, contents: .distributions)
        XCTAssertEqual(fromModel, fromLogits)
        XCTAssertEqual(fromModel.vocabularySize, testVocabulary)
        XCTAssertThrowsError(try ReferenceCache(model: model, batch: TokenBatch(sequences: [[1, 9]]), contents: .distributions)) {
            XCTAssertEqual($0 as? TokenBatchError, .tokenOutOfRange(token: 9, vocabularySize: testVocabulary))
        }
    }
}
