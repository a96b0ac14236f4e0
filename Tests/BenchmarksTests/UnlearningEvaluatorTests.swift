import Foundation
import XCTest
import Benchmarks
import Corpus
import Model

/// The evaluator's model utility without the questions about the authors asked to be forgotten
/// (what `lethe bench sustain` measures), on the embedded retain model (never trained on
/// forget10) serving as its own retain model.
final class UnlearningEvaluatorTests: XCTestCase {
    func testModelUtilityLeavesTheExcludedAuthorsOutOfTheSampleDrawnBefore() throws {
        let base = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Checkpoints/base").standardized
        let folder = base.appendingPathComponent("retain")
        let corpus = try Corpus.load(from: base.appendingPathComponent("corpus"))
        let model = try ModelFolder.load(folder)
        let forget = Array(corpus.items(in: .forget10).prefix(4))
        let evaluator = try UnlearningEvaluator(corpus: corpus, retainModel: model, forgetItems: forget,
                                                format: try ConversationFormat(modelFolder: folder, config: model.config),
                                                utilityItems: 12, maxNewTokens: 16)
        let sample = evaluator.utilityRetainItems
        XCTAssertEqual(sample.count, 12)
        let excluded = Set(sample.prefix(3).compactMap(\.author))
        XCTAssertEqual(excluded.count, 3, "twelve questions evenly spaced over retain90 are about twelve authors")

        let kept = evaluator.utilityRetainItems(excludingAuthors: excluded)
        XCTAssertEqual(kept.map(\.id), sample.dropFirst(3).map(\.id), "the same sample, less the excluded authors' questions")
        let evaluation = try evaluator.evaluate(model: model, forget: forget, excludingAuthors: excluded)
        XCTAssertEqual(evaluation.utilityRetainItems.map(\.id), kept.map(\.id))
        XCTAssertEqual(evaluation.forget.items.map(\.id), forget.map(\.id))
        XCTAssertEqual(evaluation.score.forgetQuality, 1, accuracy: 1e-6, "the model against itself")

        let (utility, items) = try evaluator.modelUtility(of: model, excludingAuthors: excluded)
        XCTAssertEqual(items.map(\.id), kept.map(\.id))
        XCTAssertEqual(utility.value, evaluation.score.modelUtility, accuracy: 1e-6)
        XCTAssertEqual(evaluator.utilityRetainItems(excludingAuthors: []).map(\.id), sample.map(\.id), "nothing excluded: the whole sample")
        XCTAssertThrowsError(try evaluator.retainModelEvaluation(of: [corpus.items(in: .forget10)[10]]),
                             "an item the retain model was not measured on")
    }
}
