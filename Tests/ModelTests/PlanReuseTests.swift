import Model
import XCTest

/// A step's result does not depend on what its activation plan held before: every buffer is
/// written before it is read, so a fresh plan and a reused one give the same bits.
final class PlanReuseTests: XCTestCase {
    func testAStepOnAReusedPlanEqualsAStepOnAFreshOneBitForBit() throws {
        for tied in [true, false] {
            let fresh = try GradientCheckModel.make(tied: tied, layers: 2), reused = try GradientCheckModel.make(tied: tied, layers: 2)
            let batch = try TokenBatch(sequences: [[1, 5, 7, 2, 9, 11], [1, 3, 12]])
            let other = try TokenBatch(sequences: [[2, 2, 8, 4, 10, 6], [12, 11, 0, 1, 5, 6]])
            try reused.forward(other)
            reused.crossEntropyLoss()
            reused.backwardCrossEntropy()
            for model in [fresh, reused] {
                model.zeroGradients()
                try model.forward(batch)
                model.crossEntropyLoss()
                model.backwardCrossEntropy()
            }
            XCTAssertEqual(fresh.logits.map(\.bitPattern), reused.logits.map(\.bitPattern), "tied=\(tied)")
            XCTAssertEqual(fresh.gradients.map(\.bitPattern), reused.gradients.map(\.bitPattern), "tied=\(tied)")
        }
    }
}
