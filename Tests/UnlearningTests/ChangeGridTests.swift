import Foundation
import Model
import XCTest
@testable import Unlearning

/// The change grid: every trained weight ends a whole number of quanta (2^bits units in the
/// last place, in ordered integers) from its parent's, the rounding is unbiased, and it does
/// not depend on how the weights are split between calls or threads.
final class ChangeGridTests: XCTestCase {
    /// Weights like a layer's, N(0, 0.05²), some of them tiny so that changes cross zero.
    private func parentWeights(count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { index in index % 97 == 0 ? 1e-6 * generator.nextGaussian() : 0.05 * generator.nextGaussian() }
    }

    private func quanta(_ value: Float, from parent: Float, bits: Int) -> (whole: Bool, count: Int64) {
        let change = Int64(OrderedFloatBits.key(value)) - Int64(OrderedFloatBits.key(parent))
        return (change % (1 << Int64(bits)) == 0, change >> Int64(bits))
    }

    func testEveryWeightEndsAWholeNumberOfQuantaFromItsParent() {
        let parent = parentWeights(count: 50_000, seed: 1)
        var generator = SeededGenerator(seed: 2)
        // Changes of about 3 % of a weight (several quanta at 16 bits), and sign changes.
        var updated = parent.map { $0 + 0.0015 * generator.nextGaussian() }
        updated[0] = -parent[0]
        for bits in [1, 12, 16, 20] {
            var rounded = updated
            rounded.withUnsafeMutableBufferPointer { rounded in
                parent.withUnsafeBufferPointer { ChangeGrid.round(rounded, parent: $0, bits: bits, seed: 7, offset: 0) }
            }
            for (value, origin) in zip(rounded, parent) {
                XCTAssertTrue(quanta(value, from: origin, bits: bits).whole, "\(value) from \(origin) at \(bits) bits")
                XCTAssertTrue(value.isFinite)
            }
            // The rounding moves each weight by less than one quantum.
            for (index, (value, wanted)) in zip(rounded, updated).enumerated() {
                let off = abs(Int64(OrderedFloatBits.key(value)) - Int64(OrderedFloatBits.key(wanted)))
                XCTAssertLessThan(off, 1 << Int64(bits), "weight \(index) at \(bits) bits")
            }
        }
    }

    func testRoundingIsUnbiasedAndKeepsTheParentWhereTheChangeIsSmall() {
        // Every weight 1.0 moved by 0.3 quanta of 2^16 units in the last place (2⁻⁷ relative).
        let bits = 16, count = 100_000
        let parent = [Float](repeating: 1, count: count)
        let quantum = Float(1).ulp * Float(1 << bits)
        var rounded = [Float](repeating: 1 + 0.3 * quantum, count: count)
        rounded.withUnsafeMutableBufferPointer { rounded in
            parent.withUnsafeBufferPointer { ChangeGrid.round(rounded, parent: $0, bits: bits, seed: 3, offset: 0) }
        }
        let moved = rounded.filter { $0 != 1 }
        XCTAssertEqual(Double(moved.count) / Double(count), 0.3, accuracy: 0.01, "a change of 0.3 quanta moves 30 % of the weights")
        XCTAssertTrue(moved.allSatisfy { $0 == 1 + quantum }, "one quantum up, never down")
        XCTAssertEqual(rounded.filter { $0 == 1 }.count, count - moved.count, "the rest keep the parent's bits exactly")
    }

    func testResultDoesNotDependOnHowTheWeightsAreSplit() {
        let parent = parentWeights(count: 70_000, seed: 4)
        var generator = SeededGenerator(seed: 5)
        let updated = parent.map { $0 + 0.001 * generator.nextGaussian() }
        var whole = updated
        whole.withUnsafeMutableBufferPointer { whole in
            parent.withUnsafeBufferPointer { ChangeGrid.round(whole, parent: $0, bits: 14, seed: 9, offset: 100) }
        }
        var halves = updated
        halves.withUnsafeMutableBufferPointer { halves in
            parent.withUnsafeBufferPointer { parent in
                let cut = 30_001
                ChangeGrid.round(UnsafeMutableBufferPointer(rebasing: halves[..<cut]), parent: UnsafeBufferPointer(rebasing: parent[..<cut]),
                                 bits: 14, seed: 9, offset: 100)
                ChangeGrid.round(UnsafeMutableBufferPointer(rebasing: halves[cut...]), parent: UnsafeBufferPointer(rebasing: parent[cut...]),
                                 bits: 14, seed: 9, offset: 100 + cut)
            }
        }
        XCTAssertEqual(whole.map(\.bitPattern), halves.map(\.bitPattern))
    }

    func testEachTensorGetsTheCoarsestGridItsMedianChangeSpansFourQuantaOf() {
        let parent = parentWeights(count: 20_000, seed: 6)
        var generator = SeededGenerator(seed: 7)
        let grid = ChangeGrid(bits: 16)
        for relativeChange: Float in [0.1, 0.01, 0.002, 0.0002] {
            let updated = parent.map { $0 * (1 + relativeChange * generator.nextGaussian()) }
            let bits = updated.withUnsafeBufferPointer { updated in parent.withUnsafeBufferPointer { grid.quantumBits(updated, parent: $0) } }
            let changes = zip(updated, parent).map { abs(Int64(OrderedFloatBits.key($0)) - Int64(OrderedFloatBits.key($1))) }.sorted()
            let median = Double(changes[changes.count / 2])
            XCTAssertEqual(grid.resolution, 4)
            let quanta = median / Double(1 << bits)
            // The coarsest grid whose quantum the median change spans 4 times or more (the sample's
            // median, within a few per cent of the whole one's), unless capped at 16 bits.
            XCTAssertGreaterThanOrEqual(quanta, 0.9 * grid.resolution, "\(relativeChange): \(bits) bits")
            if bits < 16 { XCTAssertLessThan(quanta, 2.2 * grid.resolution, "\(relativeChange): \(bits) bits") }
        }
        XCTAssertEqual(parent.withUnsafeBufferPointer { grid.quantumBits($0, parent: $0) }, 0, "no change, no grid")
        let small = parent.map { OrderedFloatBits.float(key: OrderedFloatBits.key($0) &+ 3) }
        XCTAssertEqual(small.withUnsafeBufferPointer { small in parent.withUnsafeBufferPointer { grid.quantumBits(small, parent: $0) } }, 0,
                       "a change of 3 units in the last place is kept as it is")
    }

    func testASparseChangeGetsTheGridOfTheWeightsThatChanged() {
        let parent = parentWeights(count: 40_000, seed: 8)
        var generator = SeededGenerator(seed: 9)
        let grid = ChangeGrid(bits: 16)
        let dense = parent.map { $0 * (1 + 0.01 * generator.nextGaussian()) }
        // The same changes on 3 weights in 10, the others left as they were.
        let sparse = dense.indices.map { $0 % 10 < 3 ? dense[$0] : parent[$0] }
        let bits = { (updated: [Float]) in updated.withUnsafeBufferPointer { u in parent.withUnsafeBufferPointer { grid.quantumBits(u, parent: $0) } } }
        XCTAssertGreaterThan(bits(dense), 0)
        XCTAssertEqual(bits(sparse), bits(dense), accuracy: 1, "the unchanged 70 % do not make the grid finer")
    }

    func testUpdateOnAGridEndsOnItAndStillForgets() throws {
        let fixture = UnlearningUpdateFixture.self
        let model = fixture.randomModel()
        let parent = Array(model.parameters)
        let before = try fixture.meanNLL(model, fixture.forget)
        var options = UnlearningOptions(length: .epochs(20), forgetBatchSize: 2, retainBatchSize: 2, learningRate: 1e-2)
        options.changeGrid = ChangeGrid(bits: 16)
        let update = try UnlearningUpdate(model: model, forget: fixture.forget, retain: fixture.retain, options: options, padToken: 0)
        try update.run()
        var moved = 0
        for tensor in model.layout.tensors {
            let bits = try XCTUnwrap(update.changeGridBits[tensor.name], tensor.name)
            XCTAssertGreaterThan(bits, 0, tensor.name)
            for index in tensor.offset..<tensor.offset + tensor.count {
                let (value, origin) = (model.parameters[index], parent[index])
                XCTAssertTrue(quanta(value, from: origin, bits: bits).whole, "\(tensor.name): \(value) from \(origin)")
                if value != origin { moved += 1 }
            }
        }
        XCTAssertEqual(update.changeGridBits.values.max(), 16, "the largest changes reach the coarsest grid")
        XCTAssertGreaterThan(moved, parent.count / 2, "the update moved the weights")
        XCTAssertGreaterThan(try fixture.meanNLL(model, fixture.forget), before + 1, "the forget answers became unlikely")
    }

    func testBitsOutsideTheRangeAreRefused() throws {
        var options = UnlearningOptions()
        options.changeGrid = ChangeGrid(bits: 23)
        XCTAssertThrowsError(try UnlearningUpdate(model: UnlearningUpdateFixture.randomModel(), forget: UnlearningUpdateFixture.forget,
                                                  retain: UnlearningUpdateFixture.retain, options: options, padToken: 0)) { error in
            XCTAssertEqual("\(error)", "\(UnlearningError.invalidOption(name: "changeGrid.bits", value: 23))")
        }
    }
}
