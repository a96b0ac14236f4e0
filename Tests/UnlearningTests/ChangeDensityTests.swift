import Foundation
import Model
import XCTest
@testable import Unlearning

/// The change density: a trimmed tensor keeps its largest changes from the parent, about the
/// asked share of them, and the rest of its weights are the parent's bit for bit; an update
/// that trims after every epoch ends sparse and still forgets.
final class ChangeDensityTests: XCTestCase {
    private func weights(count: Int, seed: UInt64, scale: Float) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * generator.nextGaussian() }
    }

    func testTheLargestChangesAreKeptAndTheRestAreTheParentsWeights() {
        let parent = weights(count: 300_007, seed: 1, scale: 0.05)
        let change = weights(count: parent.count, seed: 2, scale: 0.001)
        for fraction in [0.05, 0.3, 0.7] {
            var trimmed = zip(parent, change).map { $0 + $1 }
            let updated = trimmed
            let kept = trimmed.withUnsafeMutableBufferPointer { trimmed in
                parent.withUnsafeBufferPointer { ChangeDensity(fraction: fraction).trim(trimmed, parent: $0) }
            }
            let changed = zip(trimmed, parent).filter { $0 != $1 }.count
            XCTAssertEqual(kept, changed)
            // The threshold comes from every 4th change (a sample of 75,002): the share is close.
            XCTAssertEqual(Double(changed) / Double(parent.count), fraction, accuracy: 0.01, "fraction \(fraction)")
            var smallestKept = Float.infinity, largestDropped: Float = 0
            for index in parent.indices {
                let size = abs(updated[index] - parent[index])
                if trimmed[index] == parent[index] {
                    largestDropped = max(largestDropped, size)
                } else {
                    XCTAssertEqual(trimmed[index].bitPattern, updated[index].bitPattern, "a kept change is kept whole")
                    smallestKept = min(smallestKept, size)
                }
            }
            XCTAssertLessThanOrEqual(largestDropped, smallestKept, "fraction \(fraction): only the smaller changes go back")
        }
    }

    func testAWholeDensityOrNoChangeLeavesTheWeightsAlone() {
        let parent = weights(count: 5_000, seed: 3, scale: 0.05)
        var updated = parent.map { $0 + 0.01 }
        let copy = updated
        updated.withUnsafeMutableBufferPointer { updated in
            parent.withUnsafeBufferPointer { _ = ChangeDensity(fraction: 1).trim(updated, parent: $0) }
        }
        XCTAssertEqual(updated, copy)
        var unchanged = parent
        let kept = unchanged.withUnsafeMutableBufferPointer { unchanged in
            parent.withUnsafeBufferPointer { ChangeDensity(fraction: 0.5).trim(unchanged, parent: $0) }
        }
        XCTAssertEqual(kept, 0, "a weight that did not move is not a change to keep")
        XCTAssertEqual(unchanged, parent)
    }

    func testAnUpdateThatTrimsEveryEpochEndsSparseAndStillForgets() throws {
        let fixture = UnlearningUpdateFixture.self
        func forgetNLLGain(_ density: ChangeDensity?) throws -> (gain: Float, model: LlamaModel, parent: [Float]) {
            let model = fixture.randomModel()
            let parent = Array(model.parameters)
            let before = try fixture.meanNLL(model, fixture.forget)
            var options = UnlearningOptions(length: .epochs(20), forgetBatchSize: 2, retainBatchSize: 2, learningRate: 1e-2)
            options.changeDensity = density
            try UnlearningUpdate(model: model, forget: fixture.forget, retain: fixture.retain, options: options, padToken: 0).run()
            return (try fixture.meanNLL(model, fixture.forget) - before, model, parent)
        }
        let dense = try forgetNLLGain(nil)
        let (gain, model, parent) = try forgetNLLGain(ChangeDensity(fraction: 0.2))
        for tensor in model.layout.tensors {
            let changed = (tensor.offset..<tensor.offset + tensor.count).filter { model.parameters[$0] != parent[$0] }.count
            // A tensor smaller than the threshold sample is trimmed exactly; allow a rounding's worth.
            XCTAssertLessThanOrEqual(Double(changed), 0.2 * Double(tensor.count) + 1, tensor.name)
        }
        XCTAssertGreaterThan(dense.gain, 1, "the dense update forgets")
        // On this random model a fifth of the changes forget a third as far as all of them (0.92
        // against 2.80 nats); trimming everything back would leave 0.
        XCTAssertGreaterThan(gain, 0.25 * dense.gain, "\(gain) against \(dense.gain)")
    }

    func testADensityOutsideTheRangeIsRefused() throws {
        for fraction in [0, 1.5, -0.1] {
            var options = UnlearningOptions()
            options.changeDensity = ChangeDensity(fraction: fraction)
            XCTAssertThrowsError(try UnlearningUpdate(model: UnlearningUpdateFixture.randomModel(), forget: UnlearningUpdateFixture.forget,
                                                      retain: UnlearningUpdateFixture.retain, options: options, padToken: 0)) { error in
                XCTAssertEqual("\(error)", "\(UnlearningError.invalidOption(name: "changeDensity", value: fraction))")
            }
        }
    }
}
