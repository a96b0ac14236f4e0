// Token embedding lookup: out[N, C] = table[tokens[n], :].

/// Copies each token's row of `table` into `out`.
public func embeddingForward(
    _ out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, table: UnsafePointer<Float>,
    count: Int, channels: Int
) {
    Parallelism.forEachChunk(of: count, minimumChunk: 64) { chunk in
        for n in chunk {
            (out + n * channels).update(from: table + Int(tokens[n]) * channels, count: channels)
        }
    }
}

/// dTable[tokens[n], :] += dOut[n, :]. Serial: repeated tokens would race.
public func embeddingBackward(
    dTable: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
    count: Int, channels: Int
) {
    for n in 0..<count {
        let row = dTable + Int(tokens[n]) * channels, d = dOut + n * channels
        for c in 0..<channels { row[c] += d[c] }
    }
}
