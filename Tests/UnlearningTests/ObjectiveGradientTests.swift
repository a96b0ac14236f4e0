import Foundation
import Kernels
import Model
import XCTest
@testable import Unlearning

/// Every head's logit gradient against central differences of the loss it returns, on a batch
/// mixing prompt lengths, response lengths and padding, away from the reference (θ ≠ ref).
final class ObjectiveGradientTests: XCTestCase {
    func testDiPOGradientForEveryMaskRule() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 10)
        let reference = try referenceCache(referenceLogits, batch, .distributions)
        let heads: [(String, DiPO)] = [
            ("topk+target k=1", DiPO(gamma: 2)),
            ("topk k=1", DiPO(highConfidence: .topK, gamma: 2)),
            ("topk k=3", DiPO(highConfidence: .topK, k: 3, gamma: 2)),
            ("target", DiPO(highConfidence: .target, gamma: 2)),
            ("topk+target k=2, β=3, γ=5", DiPO(k: 2, gamma: 5, beta: 3)),
        ]
        for (name, head) in heads {
            try checkGradient(head, logits: policy, batch: batch, reference: reference, "DiPO \(name)")
        }
    }

    /// With source = policy, π± are built from the current logits but detached: the gradient is
    /// the derivative of the definitional loss with π± held at the current point.
    func testDiPOPolicySourceGradientHoldsThePairFixed() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 11)
        let reference = try referenceCache(referenceLogits, batch, .distributions)
        for rule in [DiPO.HighConfidence.topKAndTarget, .topK, .target] {
            let head = DiPO(highConfidence: rule, gamma: 2, beta: 2, source: .policy)
            let analytic = try evaluate(head, logits: policy, batch: batch, reference: reference).gradient
            let numeric = numericGradient(of: {
                Definition.dipo(policy: $0, reference: referenceLogits, sourceLogits: policy, batch: batch, head).loss
            }, at: policy, step: 1e-3)
            assertGradient(analytic, numeric, "DiPO source = policy, \(rule)")
        }
    }

    func testNPOGradient() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 12)
        let reference = try referenceCache(referenceLogits, batch, .sequenceLogProbabilities)
        try checkGradient(NPO(), logits: policy, batch: batch, reference: reference, "NPO β=0.1")
        try checkGradient(NPO(beta: 2), logits: policy, batch: batch, reference: reference, "NPO β=2")
    }

    func testSimNPOGradient() throws {
        let batch = try mixedBatch()
        let policy = referenceAndPolicyLogits(batch, seed: 13).policy
        try checkGradient(SimNPO(), logits: policy, batch: batch, reference: nil, "SimNPO β=4.5 δ=0")
        try checkGradient(SimNPO(beta: 1, delta: 0.5), logits: policy, batch: batch, reference: nil, "SimNPO β=1 δ=0.5")
    }

    func testGradientAscentAndNLLGradients() throws {
        let batch = try mixedBatch()
        let policy = referenceAndPolicyLogits(batch, seed: 14).policy
        try checkGradient(GradientAscent(), logits: policy, batch: batch, reference: nil, "GradientAscent")
        try checkGradient(NegativeLogLikelihood(), logits: policy, batch: batch, reference: nil, "NLL")
    }

    func testReferenceKLGradient() throws {
        let batch = try mixedBatch()
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 15)
        let reference = try referenceCache(referenceLogits, batch, .distributions)
        try checkGradient(ReferenceKL(), logits: policy, batch: batch, reference: reference, "KL(π_ref ‖ π_θ)")
    }

    /// The heads split rows across threads; the result must not depend on how.
    func testThreadCountDoesNotChangeTheResult() throws {
        let saved = Parallelism.threadCount
        defer { Parallelism.setThreadCount(saved) }
        let batch = try mixedBatch(length: 16)
        let (referenceLogits, policy) = referenceAndPolicyLogits(batch, seed: 16)
        let reference = try referenceCache(referenceLogits, batch, .distributions)
        let heads: [any LossHead] = [DiPO(), DiPO(source: .policy), NPO(), SimNPO(), NegativeLogLikelihood(), ReferenceKL()]
        for head in heads {
            Parallelism.setThreadCount(1)
            let single = try evaluate(head, logits: policy, batch: batch, reference: reference)
            Parallelism.setThreadCount(3)
            let threaded = try evaluate(head, logits: policy, batch: batch, reference: reference)
            XCTAssertEqual(single.loss, threaded.loss, "\(head)")
            XCTAssertEqual(single.gradient, threaded.gradient, "\(head)")
        }
    }
}
