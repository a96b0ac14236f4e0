import Kernels
import Model

/// Where a batch's response positions are — those whose next-token target counts (≠ ignoreIndex),
/// the answer tokens the objectives score — in temporary storage that lives for one call.
struct ResponsePositions {
    let examples: Int
    let length: Int
    let targets: UnsafePointer<Int32>
    /// Per position n: its index among its example's response positions, which is the row of the
    /// example's reference cache it reads, or −1 for prompt and padding.
    let ranks: UnsafePointer<Int>
    /// Per example: how many response positions it has.
    let counts: UnsafePointer<Int>
    let total: Int
    /// Examples with at least one response position: the batch means divide by this.
    let countedExamples: Int

    /// Locates `batch`'s response positions for `body`; throws when it has none.
    static func withPositions<R>(of batch: TokenBatch, _ body: (ResponsePositions) throws -> R) throws -> R {
        let B = batch.batchSize, T = batch.length
        return try batch.targets.withUnsafeBufferPointer { targets in
            try withUnsafeTemporaryAllocation(of: Int.self, capacity: B * T + B) { storage in
                let ranks = storage.baseAddress!, counts = ranks + B * T
                var total = 0, countedExamples = 0
                for b in 0..<B {
                    var count = 0
                    for n in b * T..<(b + 1) * T {
                        ranks[n] = targets[n] == ignoreIndex ? -1 : count
                        if targets[n] != ignoreIndex { count += 1 }
                    }
                    counts[b] = count
                    total += count
                    if count > 0 { countedExamples += 1 }
                }
                guard total > 0 else { throw ObjectiveError.noResponsePositions }
                return try body(ResponsePositions(examples: B, length: T, targets: targets.baseAddress!, ranks: ranks,
                                                  counts: counts, total: total, countedExamples: countedExamples))
            }
        }
    }

    /// sums[b] = Σ values[n] over example b's response positions, accumulated in Double.
    func sum<Value: BinaryFloatingPoint>(_ values: UnsafePointer<Value>, into sums: UnsafeMutablePointer<Double>) {
        for b in 0..<examples {
            var sum = 0.0
            for n in b * length..<(b + 1) * length where ranks[n] >= 0 { sum += Double(values[n]) }
            sums[b] = sum
        }
    }
}
