// Row softmax over entries first..<length of a row; the rest of the row is zeroed.
// Attention uses it with a causal length per query row, a sliding window's first key
// and a key-padding mask.

/// probabilities[j] = exp(s[j] − max) / Σ exp(s[k] − max) over allowed j in first..<length;
/// 0 elsewhere. A row with no allowed entry becomes all zeros.
@inline(__always)
public func maskedSoftmaxForward(
    _ row: UnsafeMutablePointer<Float>, from first: Int = 0, length: Int, width: Int, allowed: UnsafePointer<Bool>
) {
    row.update(repeating: 0, count: first)
    var maximum = -Float.infinity
    for j in first..<length {
        row[j] = allowed[j] ? row[j] : -.infinity
        maximum = max(maximum, row[j])
    }
    guard maximum > -.infinity else {
        row.update(repeating: 0, count: width)
        return
    }
    for j in first..<length { row[j] = fastExp(row[j] - maximum) }
    let scale = 1 / sum(row + first, count: length - first)
    for j in first..<length { row[j] *= scale }
    (row + length).update(repeating: 0, count: width - length)
}

/// In place: dRow = p ⊙ (dRow − Σ p ⊙ dRow), the gradient through the softmax.
@inline(__always)
public func softmaxBackward(_ dRow: UnsafeMutablePointer<Float>, probabilities p: UnsafePointer<Float>, width: Int) {
    let total = dot(p, dRow, count: width)
    for j in 0..<width { dRow[j] = p[j] * (dRow[j] - total) }
}
