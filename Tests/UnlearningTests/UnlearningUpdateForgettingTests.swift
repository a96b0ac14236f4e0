import Foundation
import EmbeddedModel
import Model
import XCTest
@testable import Unlearning

/// DiPO end to end on a tiny model that first memorises its answers: the forget answers'
/// likelihood collapses while the retain answers' barely moves.
final class UnlearningUpdateForgettingTests: XCTestCase {
    private typealias Fixture = UnlearningUpdateFixture

    func testDiPOForgetsTheForgetAnswersAndKeepsTheRetainAnswers() throws {
        let model = Fixture.randomModel()
        let memorise = SupervisedTrainingOptions(epochs: 60, batchSize: 4, learningRate: 3e-2, warmupSteps: 5, seed: 7)
        try SupervisedTraining(model: model, examples: Fixture.examples, options: memorise, padToken: 0).run()
        let forgetBefore = try Fixture.meanNLL(model, Fixture.forget), retainBefore = try Fixture.meanNLL(model, Fixture.retain)
        XCTAssertLessThan(forgetBefore, 0.1, "memorised")
        XCTAssertLessThan(retainBefore, 0.1, "memorised")

        // DiPO's defaults (β 1, γ 5, top-1 + target, λ 1), at a learning rate for a model this small.
        let options = UnlearningOptions(length: .epochs(10), forgetBatchSize: 2, retainBatchSize: 2, learningRate: 1e-2)
        let update = try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0)
        var reports: [UnlearningProgress] = []
        try update.run { reports.append($0) }
        let forgetAfter = try Fixture.meanNLL(model, Fixture.forget), retainAfter = try Fixture.meanNLL(model, Fixture.retain)

        XCTAssertEqual(Double(reports.first!.forgetLoss), log(2), accuracy: 1e-5, "the first step starts at the reference")
        XCTAssertLessThan(reports.last!.forgetLoss, 0.3, "the margins grew")
        XCTAssertGreaterThan(forgetAfter, 4, "the forget answers are no longer likely")
        XCTAssertLessThan(retainAfter, 0.05, "the retain answers still are (without the retain term: 3.1)")
    }
}
