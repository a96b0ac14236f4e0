import Foundation
import Model
import Unlearning
import XCTest

/// AdamW against `torch.optim.AdamW` after three steps (fixture written by
/// Tests/Fixtures/make_llama_fixtures.py), for two hyperparameter settings.
final class AdamWParityTests: XCTestCase {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/adamw/adamw.safetensors")

    func testThreeStepsMatchPyTorch() throws {
        let file = try SafeTensorsFile(contentsOf: fixture)
        for setting in ["a", "b"] {
            func hyperparameter(_ key: String) throws -> Double {
                try XCTUnwrap(file.metadata["\(setting).\(key)"].flatMap(Double.init), "\(setting).\(key)")
            }
            let configuration = AdamWConfiguration(
                learningRate: try hyperparameter("lr"), beta1: try hyperparameter("beta1"), beta2: try hyperparameter("beta2"),
                epsilon: try hyperparameter("eps"), weightDecay: try hyperparameter("weight_decay"))
            var parameters = try file.floats("\(setting).param.0")
            let optimizer = AdamW(parameterCount: parameters.count, configuration: configuration)
            for step in 1...3 {
                let gradients = try file.floats("\(setting).grad.\(step)")
                parameters.withUnsafeMutableBufferPointer { p in
                    gradients.withUnsafeBufferPointer { g in optimizer.update(parameters: p, gradients: g) }
                }
                let expected = try file.floats("\(setting).param.\(step)")
                XCTAssertLessThanOrEqual(relativeError(parameters, expected), 1e-6, "setting \(setting), step \(step)")
                XCTAssertLessThanOrEqual(maxAbsoluteError(parameters, expected), 1e-6, "setting \(setting), step \(step)")
            }
            XCTAssertEqual(optimizer.step, 3)
            XCTAssertLessThanOrEqual(relativeError(Array(optimizer.firstMoment), try file.floats("\(setting).exp_avg.3")), 1e-6)
            XCTAssertLessThanOrEqual(relativeError(Array(optimizer.secondMoment), try file.floats("\(setting).exp_avg_sq.3")), 1e-6)
        }
    }

    func testZeroGradientOnlyDecaysTheWeight() {
        var parameters: [Float] = [2, -4]
        let optimizer = AdamW(parameterCount: 2, configuration: AdamWConfiguration(learningRate: 0.1, weightDecay: 0.5))
        let gradients: [Float] = [0, 0]
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in optimizer.update(parameters: p, gradients: g) }
        }
        XCTAssertEqual(parameters, [2 * 0.95, -4 * 0.95])
    }

    /// ‖actual − expected‖ / ‖expected‖ over the whole vector.
    private func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
        precondition(actual.count == expected.count)
        var difference: Double = 0, norm: Double = 0
        for (a, e) in zip(actual, expected) {
            difference += Double(a - e) * Double(a - e)
            norm += Double(e) * Double(e)
        }
        return (difference / norm).squareRoot()
    }

    private func maxAbsoluteError(_ actual: [Float], _ expected: [Float]) -> Float {
        zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
    }
}
