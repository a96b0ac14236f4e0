import Foundation
import Kernels
import Model
import XCTest
@testable import Unlearning
@testable import EmbeddedModel

final class SupervisedTrainingTests: XCTestCase {
    private let config = LlamaConfig(vocabSize: 32, hiddenSize: 16, intermediateSize: 32, layerCount: 2, headCount: 2,
                                     keyValueHeadCount: 1, maxPositionEmbeddings: 32, tieWordEmbeddings: true)
    private let options = SupervisedTrainingOptions(epochs: 60, batchSize: 3, learningRate: 3e-2, warmupSteps: 5, seed: 7)

    /// Seven question/answer pairs whose answers depend on the prompt, of lengths 3 to 22
    /// (so batches pad to different bucketed lengths), the last batch of an epoch short.
    private var examples: [SupervisedExample] {
        (0..<7).map { i in
            SupervisedExample(prompt: [1, 2 + i], completion: [10 + i] + Array(repeating: 20 + (i * 3) % 7, count: i * 3 % 20) + [3])
        }
    }

    private func freshTraining() -> SupervisedTraining {
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: 3)
        return SupervisedTraining(model: model, examples: examples, options: options, padToken: 0)
    }

    func testBatchesCountOnlyCompletionTokens() throws {
        let batch = try TokenBatch(examples: [SupervisedExample(prompt: [1, 2], completion: [5, 6]), SupervisedExample(prompt: [1], completion: [7])],
                                   length: 5, padToken: 0)
        XCTAssertEqual(batch.tokens, [1, 2, 5, 6, 0, 1, 7, 0, 0, 0])
        // The target at t is the token at t + 1 when it is a completion token.
        XCTAssertEqual(batch.targets, [-100, 5, 6, -100, -100, 7, -100, -100, -100, -100])
        XCTAssertEqual(batch.keyMask, [true, true, true, true, false, true, true, false, false, false])
        XCTAssertThrowsError(try TokenBatch(examples: [SupervisedExample(prompt: [1, 2, 3], completion: [4, 5, 6])], length: 5, padToken: 0)) {
            XCTAssertEqual($0 as? SupervisedBatchError, .tooLong(tokenCount: 6, length: 5))
        }
    }

    func testScheduleWarmsUpThenDecaysToTheFloor() {
        let cosine = LearningRateSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, decay: .cosine, floorRatio: 0.1)
        XCTAssertEqual(cosine.rate(atStep: 0), 0.25, accuracy: 1e-12)
        XCTAssertEqual(cosine.rate(atStep: 3), 1, accuracy: 1e-12)
        XCTAssertEqual(cosine.rate(atStep: 4), 1, accuracy: 1e-12)
        XCTAssertEqual(cosine.rate(atStep: 13), 0.1, accuracy: 1e-12)
        let linear = LearningRateSchedule(peak: 2, warmupSteps: 0, totalSteps: 11, decay: .linear)
        XCTAssertEqual(linear.rate(atStep: 5), 1, accuracy: 1e-12)
        XCTAssertEqual(LearningRateSchedule(peak: 2, warmupSteps: 1, totalSteps: 9, decay: .constant).rate(atStep: 8), 2)
        // One step after warmup: it is the last, at the floor.
        XCTAssertEqual(LearningRateSchedule(peak: 1, warmupSteps: 2, totalSteps: 3, decay: .linear, floorRatio: 0.5).rate(atStep: 2), 0.5)
    }

    func testBatchesCoverEveryExampleOnceAnEpochSortedIntoBuckets() {
        let training = freshTraining()
        XCTAssertEqual(training.stepsPerEpoch, 3)
        for epoch in 0..<3 {
            let batches = training.batches(epoch: epoch)
            XCTAssertEqual(batches.count, 3)
            XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<7))
            for batch in batches {
                XCTAssertEqual(training.paddedLength(batch) % SupervisedTraining.lengthQuantum == 0 || training.paddedLength(batch) == training.length, true)
                XCTAssertGreaterThanOrEqual(training.paddedLength(batch), batch.map { training.examples[$0].tokenCount }.max()!)
            }
        }
        // The batches come in another order from epoch to epoch.
        XCTAssertGreaterThan(Set((0..<10).map { training.batches(epoch: $0) }).count, 1)
    }

    func testTrainingMemorisesTheAnswers() throws {
        let training = freshTraining()
        var losses: [Float] = []
        try training.run(reportEvery: 2) { losses.append($0.loss) }
        XCTAssertEqual(training.step, 180)
        XCTAssertGreaterThan(losses.first!, 2.5)
        XCTAssertLessThan(losses.last!, 0.05)
    }

    func testResumedRunEqualsUninterruptedRunBitForBit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-sft-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpointURL = directory.appendingPathComponent("state.safetensors")

        let uninterrupted = freshTraining()
        try uninterrupted.run()

        let first = freshTraining()
        try first.run(stopAfter: 23, checkpoint: { try TrainingCheckpoint.write($0, to: checkpointURL) })
        let resumed = freshTraining()
        try resumed.resume(from: TrainingCheckpoint(contentsOf: checkpointURL))
        XCTAssertEqual(resumed.step, 23)
        try resumed.run()
        XCTAssertEqual(Array(resumed.model.parameters), Array(uninterrupted.model.parameters))
        XCTAssertEqual(Array(resumed.optimizer.firstMoment), Array(uninterrupted.optimizer.firstMoment))
        XCTAssertEqual(Array(resumed.optimizer.secondMoment), Array(uninterrupted.optimizer.secondMoment))
        XCTAssertEqual(resumed.lastLoss, uninterrupted.lastLoss)

        // A checkpoint of another run is refused, naming what differs.
        var otherOptions = options
        otherOptions.learningRate = 1e-3
        let other = SupervisedTraining(model: LlamaModel(config: config), examples: examples, options: otherOptions, padToken: 0)
        XCTAssertThrowsError(try other.resume(from: TrainingCheckpoint(contentsOf: checkpointURL))) {
            guard case .mismatch(_, let field)? = $0 as? TrainingCheckpointError else { return XCTFail("\($0)") }
            XCTAssertEqual(field, "set of training options")
        }
        // So is one of the same options over other examples (another corpus, another split left out).
        let otherData = SupervisedTraining(model: LlamaModel(config: config), examples: Array(examples.dropLast()), options: options, padToken: 0)
        XCTAssertThrowsError(try otherData.resume(from: TrainingCheckpoint(contentsOf: checkpointURL))) {
            guard case .mismatch(_, let field)? = $0 as? TrainingCheckpointError else { return XCTFail("\($0)") }
            XCTAssertEqual(field, "set of training examples or model shape")
        }
    }
}
