import Foundation
import Model
import XCTest
@testable import Unlearning

/// The retain projection: its matrix damps what the retain inputs use and passes the rest, and
/// an update with it moves the retained answers less while it still forgets.
final class RetainProjectionTests: XCTestCase {
    private typealias Fixture = UnlearningUpdateFixture

    func testTheProjectorDampsTheDirectionsTheInputsUseAndPassesTheOthers() {
        // Over 10 tokens, inputs along e₀ (second moment 100) and e₁ (1), none along e₂; mean
        // eigenvalue 101/3. The projector depends on the moments' shape, not their scale.
        var matrix = LinearInputMoments.Matrix(width: 3)
        matrix.sums = [1000, 0, 0, 0, 10, 0, 0, 0, 0]
        let m = RetainProjection.projector(matrix, strength: 0.3)
        let alpha = 0.3 * 101.0 / 3
        let expected = [alpha / (100 + alpha), alpha / (1 + alpha), 1]
        for i in 0..<3 {
            for j in 0..<3 { XCTAssertEqual(Double(m[i * 3 + j]), i == j ? expected[i] : 0, accuracy: 1e-5, "(\(i), \(j))") }
        }
        XCTAssertLessThan(expected[0], 0.1)
        let weak = RetainProjection.projector(matrix, strength: 1e6)
        for i in 0..<3 { XCTAssertEqual(weak[i * 4], 1, accuracy: 1e-3, "a very weak projection keeps the step") }
    }

    private func retainAndForgetNLL(projection: Double?) throws -> (retain: Float, forget: Float, model: LlamaModel, before: [Float]) {
        let model = Fixture.randomModel()
        let before = Array(model.parameters)
        // Gradient ascent, no retain term: only the projection holds the retained answers.
        let options = UnlearningOptions(objective: .gradAscent, length: .steps(6), forgetBatchSize: 2, learningRate: 1e-2,
                                        retainProjection: projection)
        try UnlearningUpdate(model: model, forget: Fixture.forget, retain: Fixture.retain, options: options, padToken: 0).run()
        return (try Fixture.meanNLL(model, Fixture.retain), try Fixture.meanNLL(model, Fixture.forget), model, before)
    }

    func testAProjectedUpdateMovesTheRetainedAnswersLessAndStillForgets() throws {
        let start = Fixture.randomModel()
        let retain0 = try Fixture.meanNLL(start, Fixture.retain), forget0 = try Fixture.meanNLL(start, Fixture.forget)
        let plain = try retainAndForgetNLL(projection: nil)
        let projected = try retainAndForgetNLL(projection: 0.1)
        let plainRetainMove = abs(plain.retain - retain0), projectedRetainMove = abs(projected.retain - retain0)
        // Measured: retained NLL +0.27 plain, +0.013 projected; forgotten +1.8 and +1.0.
        XCTAssertGreaterThan(plainRetainMove, 0.1, "the plain update moves the retained answers")
        XCTAssertLessThan(projectedRetainMove, 0.25 * plainRetainMove)
        XCTAssertGreaterThan(projected.forget - forget0, 0.5, "the projected update still forgets")
        let model = projected.model
        for tensor in model.layout.tensors {
            let range = tensor.offset..<tensor.offset + tensor.count
            let moved = zip(projected.before[range], model.parameters[range]).contains { $0 != $1 }
            XCTAssertEqual(moved, !tensor.isNormWeight, "\(tensor.name): norm weights stay, the rest moves")
        }
    }

    func testAnUpdateWithoutRetainExamplesCannotBeProjected() {
        let options = UnlearningOptions(objective: .gradAscent, length: .steps(1), retainProjection: 1)
        XCTAssertThrowsError(try UnlearningUpdate(model: Fixture.randomModel(), forget: Fixture.forget, retain: [], options: options,
                                                  padToken: 0)) { XCTAssertEqual($0 as? UnlearningError, .noRetainExamples) }
        var invalid = UnlearningOptions(retainProjection: 0)
        XCTAssertThrowsError(try invalid.validate())
        invalid.retainProjection = .infinity
        XCTAssertThrowsError(try invalid.validate())
    }
}
