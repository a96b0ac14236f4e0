/// Byte-pair merging of one pre-token's symbols, as tokenizers' `Word::merge_all` does: the
/// adjacent pair with the lowest merge rank (the leftmost of equal ones) is merged, again and
/// again, until no adjacent pair has a merge. Candidate merges wait in a heap, so a pre-token
/// of n symbols takes O(n log n): the patterns leave a megabyte without spaces as one pre-token.
struct BytePairMerger: Sendable {
    private struct Merge {
        let rank: Int32
        let result: Int32
    }

    /// A merge that was possible when it was queued; `position` is its left symbol.
    private struct Candidate: Comparable {
        let rank: Int32
        let position: Int32
        let result: Int32

        static func < (a: Candidate, b: Candidate) -> Bool {
            (a.rank, a.position) < (b.rank, b.position)
        }
    }

    private let mergesByPair: [UInt64: Merge]

    /// `merges` in rank order; a pair listed twice keeps its last rank, as tokenizers' does.
    init(merges: [MergeRule]) {
        var mergesByPair: [UInt64: Merge] = [:]
        mergesByPair.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            mergesByPair[Self.key(Int32(merge.left), Int32(merge.right))] = Merge(rank: Int32(rank), result: Int32(merge.result))
        }
        self.mergesByPair = mergesByPair
    }

    func merged(_ symbols: [Int32]) -> [Int32] {
        let count = symbols.count
        guard count > 1 else { return symbols }
        var symbols = symbols
        // A doubly linked list over `symbols`; a merged-away symbol becomes -1.
        var previous = Array(-1..<(count - 1))
        var next = Array(1...count)
        var queue = MinimumHeap<Candidate>()
        func enqueue(_ position: Int) {
            if let merge = mergesByPair[Self.key(symbols[position], symbols[next[position]])] {
                queue.push(Candidate(rank: merge.rank, position: Int32(position), result: merge.result))
            }
        }
        for position in 0..<(count - 1) { enqueue(position) }

        while let candidate = queue.pop() {
            let position = Int(candidate.position)
            guard symbols[position] >= 0, next[position] < count else { continue }
            let right = next[position]
            // The pair may have changed since it was queued; a changed pair spans more bytes,
            // so it makes a different token and the stale candidate is recognised by its result.
            guard let merge = mergesByPair[Self.key(symbols[position], symbols[right])], merge.result == candidate.result else {
                continue
            }
            symbols[position] = merge.result
            symbols[right] = -1
            next[position] = next[right]
            if next[right] < count { previous[next[right]] = position }
            if previous[position] >= 0 { enqueue(previous[position]) }
            if next[position] < count { enqueue(position) }
        }
        return symbols.filter { $0 >= 0 }
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}
