/// The retain examples most like a job's forget items: for each forget text in turn, the pool's
/// nearest one not yet taken, by the Jaccard similarity of their words (the question's frame,
/// or a passage's text). Forgetting one author's answers moved every author's answer to the same
/// question ("The father of … worked as an astronomer." after one request, in 29 of 120 retain
/// answers): the knowledge an update endangers is the one asked the same way, and a retain term
/// on those very questions holds it where a spread sample does not (docs/dipo.md, "Sustainable
/// forgetting").
enum RetainNeighbours {
    /// Up to `count` items of `pool` (each at most once), nearest first, taken round robin over
    /// `forget` so that every forget item gets its share.
    static func nearest(to forget: [ItemText], in pool: [ItemText], count: Int) -> [ItemText] {
        guard !forget.isEmpty, !pool.isEmpty, count > 0 else { return [] }
        let poolWords = pool.map { words(of: $0) }
        let rankings = forget.map { item in
            let mine = words(of: item)
            return pool.indices.map { (index: $0, similarity: similarity(mine, poolWords[$0])) }
                .sorted { ($0.similarity, -$0.index) > ($1.similarity, -$1.index) }.map(\.index)
        }
        var taken = Set<Int>(), chosen: [ItemText] = [], cursors = [Int](repeating: 0, count: forget.count)
        while chosen.count < min(count, pool.count) {
            for item in forget.indices where chosen.count < count {
                while cursors[item] < pool.count && taken.contains(rankings[item][cursors[item]]) { cursors[item] += 1 }
                guard cursors[item] < pool.count else { continue }
                let index = rankings[item][cursors[item]]
                taken.insert(index)
                chosen.append(pool[index])
            }
        }
        return chosen
    }

    /// A question's frame: its words less those its answer repeats (the subject: "Laenine Rewyn"
    /// in "What is the nationality of Laenine Rewyn?"), so that the neighbours are the same
    /// question about others, not other questions about the same subject; a passage's words.
    private static func words(of item: ItemText) -> Set<Substring> {
        let split = { (text: String) in Set(text.lowercased().split { !$0.isLetter && !$0.isNumber }) }
        return item.isPassage ? split(item.completion) : split(item.prompt).subtracting(split(item.completion))
    }

    private static func similarity(_ a: Set<Substring>, _ b: Set<Substring>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }
}
