import Foundation
import Kernels
import Model
import XCTest
@testable import Unlearning

// Shared by the Objective*Tests: a batch mixing prompts, lengths and padding, random logits,
// the objectives written straight from their definitions in Double (DiPO through sequence KL
// divergences, not the linear form the head uses), and the central-difference check of a
// head's gradient. The checker's own tests are at the end.

extension SeededGenerator {
    /// `count` floats drawn uniformly from `range`.
    mutating func floats(_ count: Int, in range: ClosedRange<Float>) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }
}

let testVocabulary = 7

/// Three examples right-padded to 6 tokens: 3, 1 and 2 response positions after prompts of
/// 2, 1 and 3 tokens; the response targets include the most and least likely tokens by chance.
func mixedBatch(length: Int = 6) throws -> TokenBatch {
    try TokenBatch(examples: mixedExamples, length: length, padToken: 0)
}

let mixedExamples = [
    SupervisedExample(prompt: [1, 2], completion: [3, 4, 5]),
    SupervisedExample(prompt: [6], completion: [2]),
    SupervisedExample(prompt: [4, 1, 3], completion: [6, 0]),
]

/// Reference logits for `batch` and policy logits a random step away from them.
func referenceAndPolicyLogits(_ batch: TokenBatch, seed: UInt64, spread: Float = 2, step: Float = 0.7) -> (reference: [Float], policy: [Float]) {
    var rng = SeededGenerator(seed: seed)
    let count = batch.tokenCount * testVocabulary
    let reference = rng.floats(count, in: -spread...spread)
    let policy = zip(reference, rng.floats(count, in: -step...step)).map(+)
    return (reference, policy)
}

/// The reference cache of `logits` over `batch`.
func referenceCache(_ logits: [Float], _ batch: TokenBatch, _ contents: ReferenceCache.Contents) throws -> ReferenceCache {
    try logits.withUnsafeBufferPointer { try ReferenceCache(logits: $0, batch: batch, contents: contents) }
}

/// Runs `head` on a copy of `logits`: its loss and the gradient it writes.
func evaluate(_ head: any LossHead, logits: [Float], batch: TokenBatch, reference: ReferenceCache?,
              scale: Float = 1) throws -> (loss: Float, gradient: [Float]) {
    var buffer = logits
    let loss = try buffer.withUnsafeMutableBufferPointer {
        try head.lossAndGradient(logits: $0, batch: batch, reference: reference, scale: scale)
    }
    return (loss, buffer)
}

// MARK: - Finite differences

/// Central-difference gradient of `loss` at every entry of `x`, dividing by the step actually
/// taken after rounding x ± h to Float.
func numericGradient(of loss: ([Float]) throws -> Double, at x: [Float], step: Float = 1e-2) rethrows -> [Double] {
    var probe = x
    return try x.indices.map { i in
        let plus = x[i] + step, minus = x[i] - step
        probe[i] = plus
        let lossPlus = try loss(probe)
        probe[i] = minus
        let lossMinus = try loss(probe)
        probe[i] = x[i]
        return (lossPlus - lossMinus) / (Double(plus) - Double(minus))
    }
}

/// ‖a − b‖ / max(‖a‖, ‖b‖), and 0 when both are exactly zero.
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    var difference = 0.0, normA = 0.0, normB = 0.0
    for i in a.indices {
        difference += (Double(a[i]) - b[i]) * (Double(a[i]) - b[i])
        normA += Double(a[i]) * Double(a[i])
        normB += b[i] * b[i]
    }
    let scale = max(normA, normB).squareRoot()
    return scale == 0 ? 0 : difference.squareRoot() / scale
}

/// Asserts that the gradient `head` writes (at scale 0.7, so the scale is checked too) agrees
/// with central differences of the loss it returns, within relative error 1e-3; the numeric
/// gradient must not vanish, or the check would be vacuous. Returns the error.
@discardableResult
func checkGradient(_ head: any LossHead, logits: [Float], batch: TokenBatch, reference: ReferenceCache?,
                   _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
    let scale: Float = 0.7
    let analytic = try evaluate(head, logits: logits, batch: batch, reference: reference, scale: scale).gradient
    let numeric = try numericGradient(of: {
        Double(scale) * Double(try evaluate(head, logits: $0, batch: batch, reference: reference).loss)
    }, at: logits)
    return assertGradient(analytic, numeric, name, file: file, line: line)
}

/// Asserts ‖analytic − numeric‖ / max(‖·‖) < 1e-3 and a numeric gradient that does not vanish.
@discardableResult
func assertGradient(_ analytic: [Float], _ numeric: [Double], _ name: String,
                    file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertGreaterThan(numeric.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-3, "\(name): numeric gradient vanishes", file: file, line: line)
    XCTAssertFalse(analytic.contains { !$0.isFinite }, "\(name): gradient is not finite", file: file, line: line)
    let error = relativeError(analytic, numeric)
    XCTAssertLessThan(error, 1e-3, "\(name): relative error \(error) against central differences", file: file, line: line)
    return error
}

// MARK: - The objectives from their definitions, in Double

enum Definition {
    /// Each example's response positions (flat indices n) in order.
    static func responses(_ batch: TokenBatch) -> [[Int]] {
        (0..<batch.batchSize).map { b in
            (b * batch.length..<(b + 1) * batch.length).filter { batch.targets[$0] != ignoreIndex }
        }
    }

    static func row(_ logits: [Float], _ n: Int) -> [Double] {
        logits[n * testVocabulary..<(n + 1) * testVocabulary].map(Double.init)
    }

    static func logSoftmax(_ x: [Double]) -> [Double] {
        let maximum = x.max()!
        let logSum = maximum + log(x.reduce(0) { $0 + exp($1 - maximum) })
        return x.map { $0 - logSum }
    }

    static func softmax(_ x: [Double]) -> [Double] { logSoftmax(x).map(exp) }

    /// KL(p ‖ q) from log-probabilities.
    static func kl(_ logP: [Double], _ logQ: [Double]) -> Double {
        zip(logP, logQ).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }

    /// M_t by sorting: the k largest (ties to the lower id), the target, or both.
    static func masked(_ x: [Double], target: Int, rule: DiPO.HighConfidence, k: Int) -> Set<Int> {
        let ranked = x.indices.sorted { (x[$0], -$0) > (x[$1], -$1) }
        switch rule {
        case .topK: return Set(ranked.prefix(k))
        case .target: return [target]
        case .topKAndTarget: return Set(ranked.prefix(k)).union([target])
        }
    }

    /// (π⁺, π⁻) at one position from the source logits.
    static func preferencePair(_ source: [Double], target: Int, _ options: DiPO) -> (plus: [Double], minus: [Double]) {
        let m = masked(source, target: target, rule: options.highConfidence, k: options.k), γ = Double(options.gamma)
        let plus = logSoftmax(source.indices.map { source[$0] - (m.contains($0) ? γ : 0) })
        let minus = logSoftmax(source.indices.map { source[$0] + (m.contains($0) ? γ : 0) })
        return (plus, minus)
    }

    /// DiPO's per-example margins through sequence KLs, and its loss. π± come from `sourceLogits`
    /// (the reference's or, for source = policy, a detached copy of the policy's).
    static func dipo(policy: [Float], reference: [Float], sourceLogits: [Float], batch: TokenBatch,
                     _ options: DiPO) -> (loss: Double, margins: [Double?]) {
        let margins: [Double?] = responses(batch).map { positions in
            guard !positions.isEmpty else { return nil }
            return positions.reduce(0.0) { sum, n in
                let (plus, minus) = preferencePair(row(sourceLogits, n), target: Int(batch.targets[n]), options)
                let policyLog = logSoftmax(row(policy, n)), referenceLog = logSoftmax(row(reference, n))
                return sum + (kl(minus, policyLog) - kl(plus, policyLog)) - (kl(minus, referenceLog) - kl(plus, referenceLog))
            }
        }
        let counted = margins.compactMap { $0 }
        let β = Double(options.beta)
        let loss = counted.reduce(0) { $0 - log(1 / (1 + exp(-β * $1))) } / Double(counted.count)
        return (loss, margins)
    }

    /// dipo.md's closed form: −β σ(−βΔ) (π⁺ − π⁻) / B at response positions, 0 elsewhere.
    static func dipoGradient(margins: [Double?], sourceLogits: [Float], batch: TokenBatch, _ options: DiPO) -> [Double] {
        var gradient = [Double](repeating: 0, count: batch.tokenCount * testVocabulary)
        let β = Double(options.beta), examples = Double(margins.compactMap { $0 }.count)
        for (b, positions) in responses(batch).enumerated() {
            guard let margin = margins[b] else { continue }
            let weight = -β / (1 + exp(β * margin)) / examples
            for n in positions {
                let (plus, minus) = preferencePair(row(sourceLogits, n), target: Int(batch.targets[n]), options)
                for v in 0..<testVocabulary { gradient[n * testVocabulary + v] = weight * (exp(plus[v]) - exp(minus[v])) }
            }
        }
        return gradient
    }

    /// Each example's Σ_t log π(y_t), nil without response positions.
    static func sequenceLogProbabilities(_ logits: [Float], _ batch: TokenBatch) -> [Double?] {
        responses(batch).map { positions in
            positions.isEmpty ? nil : positions.reduce(0) { $0 + logSoftmax(row(logits, $1))[Int(batch.targets[$1])] }
        }
    }

    static func npo(policy: [Float], reference: [Float], batch: TokenBatch, beta: Double) -> Double {
        let pairs = zip(sequenceLogProbabilities(policy, batch), sequenceLogProbabilities(reference, batch))
            .compactMap { θ, ref in θ.flatMap { θ in ref.map { θ - $0 } } }
        return pairs.reduce(0) { $0 - 2 / beta * log(1 / (1 + exp(beta * $1))) } / Double(pairs.count)
    }

    static func simNPO(policy: [Float], batch: TokenBatch, beta: Double, delta: Double) -> Double {
        let terms = zip(sequenceLogProbabilities(policy, batch), responses(batch)).compactMap { logP, positions in
            logP.map { -2 / beta * log(1 / (1 + exp(beta / Double(positions.count) * $0 + delta))) }
        }
        return terms.reduce(0, +) / Double(terms.count)
    }

    /// Mean next-token NLL over all response positions.
    static func meanNLL(_ logits: [Float], _ batch: TokenBatch) -> Double {
        let positions = responses(batch).flatMap { $0 }
        return positions.reduce(0) { $0 - logSoftmax(row(logits, $1))[Int(batch.targets[$1])] } / Double(positions.count)
    }

    /// Mean KL(π_ref ‖ π_θ) over all response positions.
    static func referenceKL(policy: [Float], reference: [Float], batch: TokenBatch) -> Double {
        let positions = responses(batch).flatMap { $0 }
        return positions.reduce(0) { $0 + kl(logSoftmax(row(reference, $1)), logSoftmax(row(policy, $1))) } / Double(positions.count)
    }
}

// MARK: - The checker itself

/// The NLL head's gradient, deliberately scaled by 1.1: the checker must reject it.
private struct WrongGradient: LossHead {
    var referenceContents: ReferenceCache.Contents? { nil }

    func lossAndGradient(logits: UnsafeMutableBufferPointer<Float>, batch: TokenBatch,
                         reference: ReferenceCache?, scale: Float) throws -> Float {
        try NegativeLogLikelihood().lossAndGradient(logits: logits, batch: batch, reference: nil, scale: 1.1 * scale)
    }
}

final class ObjectiveCheckerTests: XCTestCase {
    func testCentralDifferencesRejectAGradientOffByTenPercent() throws {
        let batch = try mixedBatch()
        let logits = referenceAndPolicyLogits(batch, seed: 1).policy
        let right = try evaluate(NegativeLogLikelihood(), logits: logits, batch: batch, reference: nil).gradient
        let wrong = try evaluate(WrongGradient(), logits: logits, batch: batch, reference: nil).gradient
        let numeric = try numericGradient(of: { Double(try evaluate(NegativeLogLikelihood(), logits: $0, batch: batch, reference: nil).loss) },
                                          at: logits)
        XCTAssertLessThan(relativeError(right, numeric), 1e-3)
        XCTAssertGreaterThan(relativeError(wrong, numeric), 5e-2)
    }

    func testMixedBatchCountsOnlyResponses() throws {
        let batch = try mixedBatch()
        XCTAssertEqual(Definition.responses(batch), [[1, 2, 3], [6], [14, 15]])
        XCTAssertEqual([1, 2, 3, 6, 14, 15].map { batch.targets[$0] }, [3, 4, 5, 2, 6, 0])
    }

    /// The definitional DiPO margin equals the linear form Σ (π⁺ − π⁻)·(z^θ − z^ref) that
    /// dipo.md states: both are checked against each other, so neither is taken on trust.
    func testDefinitionalMarginIsLinearInTheLogits() throws {
        let batch = try mixedBatch()
        let (reference, policy) = referenceAndPolicyLogits(batch, seed: 2)
        let options = DiPO(gamma: 2)
        let margins = Definition.dipo(policy: policy, reference: reference, sourceLogits: reference, batch: batch, options).margins
        for (b, positions) in Definition.responses(batch).enumerated() {
            let linear = positions.reduce(0.0) { sum, n in
                let (plus, minus) = Definition.preferencePair(Definition.row(reference, n), target: Int(batch.targets[n]), options)
                let θ = Definition.row(policy, n), ref = Definition.row(reference, n)
                return sum + (0..<testVocabulary).reduce(0) { $0 + (exp(plus[$1]) - exp(minus[$1])) * (θ[$1] - ref[$1]) }
            }
            XCTAssertEqual(margins[b]!, linear, accuracy: 1e-12, "example \(b)")
            XCTAssertNotEqual(linear, 0, accuracy: 1e-3, "example \(b): a margin away from the reference")
        }
    }
}
