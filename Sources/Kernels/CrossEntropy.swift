import Foundation

// Softmax cross-entropy over the vocabulary with an ignore index:
//   loss[n] = logsumexp(logits[n, :]) − logits[n, target[n]] for every n whose target ≠ ignoreIndex.
// The mean over counted rows is the loss that `LlamaForCausalLM` returns.

/// Targets equal to this are not counted (PyTorch's default ignore_index).
public let ignoreIndex: Int32 = -100

/// Writes per-row losses (0 for ignored rows) and each row's logsumexp; returns the number
/// of counted rows.
@discardableResult
public func crossEntropyForward(
    losses: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
    logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, vocabulary: Int
) -> Int {
    Parallelism.forEachChunk(of: rows, minimumChunk: 8) { chunk in
        for n in chunk {
            let lse = logSumExpOfRow(logits + n * vocabulary, count: vocabulary)
            logSumExp[n] = lse
            losses[n] = targets[n] == ignoreIndex ? 0 : lse - logits[n * vocabulary + Int(targets[n])]
        }
    }
    var counted = 0
    for n in 0..<rows where targets[n] != ignoreIndex { counted += 1 }
    return counted
}

/// Turns `logits` into ∂L/∂logits in place, for L = scale · Σ loss[n] over counted rows
/// (scale = 1/counted for the mean): scale · (softmax − onehot(target)); ignored rows become 0.
public func crossEntropyBackward(
    logitsToGradient z: UnsafeMutablePointer<Float>, logSumExp: UnsafePointer<Float>,
    targets: UnsafePointer<Int32>, rows: Int, vocabulary: Int, scale: Float
) {
    Parallelism.forEachChunk(of: rows, minimumChunk: 8) { chunk in
        for n in chunk {
            let row = z + n * vocabulary
            guard targets[n] != ignoreIndex else {
                row.update(repeating: 0, count: vocabulary)
                continue
            }
            let lse = logSumExp[n]
            for v in 0..<vocabulary { row[v] = scale * fastExp(row[v] - lse) }
            row[Int(targets[n])] -= scale
        }
    }
}

/// log Σ exp(x[i]) over one row, shifted by its maximum for stability. Eight independent
/// running maxima and sums: a float reduction only vectorises with independent lanes.
@inline(__always)
func logSumExpOfRow(_ x: UnsafePointer<Float>, count: Int) -> Float {
    let whole = count & ~7
    var m = FloatLanes(repeating: -.infinity)
    for v in stride(from: 0, to: whole, by: 8) {
        for lane in 0..<8 { m[lane] = max(m[lane], x[v + lane]) }
    }
    var maximum = m.max()
    for v in whole..<count { maximum = max(maximum, x[v]) }
    var sums = FloatLanes(repeating: 0)
    let shift = FloatLanes(repeating: maximum)
    for v in stride(from: 0, to: whole, by: 8) {
        sums += fastExp(UnsafeRawPointer(x + v).loadUnaligned(as: FloatLanes.self) - shift)
    }
    var sum = sums.sum()
    for v in whole..<count { sum += fastExp(x[v] - maximum) }
    return maximum + Foundation.log(sum)
}
