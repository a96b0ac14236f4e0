import Kernels

extension InferenceSession {
    /// log p of the tokens of each sequence from index `scoredFrom` on (1 ≤ scoredFrom ≤
    /// count), each given the tokens before it: the likelihood of an answer after its prompt.
    ///
    /// Consecutive sequences with the same first `scoredFrom` tokens (one question's several
    /// answers) share that prefix: it runs once, its last logits score each answer's first
    /// token, and every answer continues from a copy of its keys and values. The runs go as
    /// `generate(prompts:options:)` runs prompts: ragged, every slot busy, rows of several
    /// sequences in one pass, a freed slot taking the next run, no padding, and only the
    /// scored positions through the output layer. `betweenPasses` runs before every pass and
    /// may throw to cancel. Every sequence is checked before anything runs.
    public func tokenLogProbabilities(of sequences: [(tokens: [Int], scoredFrom: Int)],
                                      betweenPasses: () throws -> Void = {}) throws -> [[Double]] {
        for sequence in sequences {
            try sequence.tokens.withUnsafeBufferPointer { try validate($0, fittingAfter: 0) }
            guard (1...sequence.tokens.count).contains(sequence.scoredFrom) else {
                throw GenerationError.invalidOption("scoredFrom", reason: "must be in 1...\(sequence.tokens.count), not \(sequence.scoredFrom)")
            }
        }
        var results = sequences.map { [Double](repeating: 0, count: $0.tokens.count - $0.scoredFrom) }
        // Groups of consecutive sequences that share their prefix and score something.
        var groups: [(prefix: ArraySlice<Int>, members: [Int])] = []
        for (index, sequence) in sequences.enumerated() where sequence.scoredFrom < sequence.tokens.count {
            let prefix = sequence.tokens[..<sequence.scoredFrom]
            if let last = groups.last, last.prefix == prefix { groups[groups.count - 1].members.append(index) } else { groups.append((prefix, [index])) }
        }

        // Per slot: what it runs (a group's prefix, or a member's answer after that prefix),
        // and its input. Per group: the slot that holds its prefix, and the members waiting.
        enum Run { case prefix(group: Int), answer(member: Int, group: Int) }
        var runs = [Run?](repeating: nil, count: slots)
        var inputs = [SlotInput?](repeating: nil, count: slots)
        var source = [Int?](repeating: nil, count: groups.count)
        var waiting = [ArraySlice<Int>](repeating: [], count: groups.count)
        var nextGroup = 0
        /// Starts `member`'s answer in `slot`, whose first prefix.count positions hold its prefix.
        func startAnswer(_ member: Int, group: Int, in slot: Int) {
            let tokens = sequences[member].tokens, answer = Array(tokens[sequences[member].scoredFrom..<tokens.count - 1])
            // The logits after answer token i predict token i + 1; the last token predicts nothing.
            (runs[slot], inputs[slot]) = (.answer(member: member, group: group), SlotInput(tokens: answer, logits: 0..<answer.count))
        }
        /// Gives every idle slot work: first a waiting answer (its own group's without a copy,
        /// another group's from a copy of the prefix), then the next group's prefix.
        func assign() {
            for slot in 0..<slots where runs[slot] == nil {
                if let group = waiting.indices.first(where: { !waiting[$0].isEmpty }) {
                    let member = waiting[group].removeFirst(), length = groups[group].prefix.count
                    keep(length, inSlot: slot, copyingFrom: source[group]!)
                    startAnswer(member, group: group, in: slot)
                } else if nextGroup < groups.count {
                    empty(slot: slot)
                    let prefix = Array(groups[nextGroup].prefix)
                    (runs[slot], inputs[slot]) = (.prefix(group: nextGroup), SlotInput(tokens: prefix, logits: prefix.count - 1..<prefix.count))
                    source[nextGroup] = slot
                    nextGroup += 1
                }
            }
        }
        /// Ends `slot`'s run; a slot holding a prefix that answers still wait for goes on with one.
        func release(_ slot: Int) {
            (runs[slot], inputs[slot]) = (nil, nil)
            if let group = source.firstIndex(of: slot), let member = waiting[group].first {
                waiting[group].removeFirst()
                keep(groups[group].prefix.count, inSlot: slot)
                startAnswer(member, group: group, in: slot)
            } else if let group = source.firstIndex(of: slot) {
                source[group] = nil
            }
        }

        reset()
        let V = model.config.vocabSize
        var targets = [Int32](repeating: 0, count: rowsPerPass), losses = [Float](repeating: 0, count: rowsPerPass)
        var logSumExp = losses
        assign()
        while runs.contains(where: { $0 != nil }) {
            try betweenPasses()
            let taken = stagePass(&inputs)
            let logits = runStaged()
            for staged in taken {
                for (row, i) in zip(staged.firstLogitRow..., staged.logits) {
                    switch runs[staged.slot]! {
                    case .prefix(let group): targets[row] = Int32(sequences[groups[group].members[0]].tokens[groups[group].prefix.count])
                    case .answer(let member, _): targets[row] = Int32(sequences[member].tokens[sequences[member].scoredFrom + i + 1])
                    }
                }
            }
            crossEntropyForward(losses: &losses, logSumExp: &logSumExp, logits: logits.baseAddress!, targets: targets,
                                rows: taken.reduce(0) { $0 + $1.logits.count }, vocabulary: V)
            for staged in taken {
                switch runs[staged.slot]! {
                case .prefix(let group):
                    guard inputs[staged.slot]!.isFed else { continue }
                    // Each member's first answer token, from the prefix's last logits.
                    let row = staged.firstLogitRow
                    for member in groups[group].members {
                        let first = sequences[member].tokens[sequences[member].scoredFrom]
                        results[member][0] = Double(logits[row * V + first]) - Double(logSumExp[row])
                    }
                    waiting[group] = groups[group].members.filter { sequences[$0].tokens.count - sequences[$0].scoredFrom > 1 }[...]
                    release(staged.slot)
                case .answer(let member, _):
                    for (row, i) in zip(staged.firstLogitRow..., staged.logits) { results[member][i + 1] = -Double(losses[row]) }
                    if inputs[staged.slot]!.isFed { release(staged.slot) }
                }
            }
            assign()
        }
        return results
    }

    /// `tokenLogProbabilities(of:)` on a session sized for `sequences`: slots of the longest
    /// one's length (past max_position_embeddings too, as a forward pass runs it), as many as
    /// `memoryBudget` holds.
    public static func tokenLogProbabilities(
        of sequences: [(tokens: [Int], scoredFrom: Int)], model: LlamaModel, memoryBudget: Int = defaultMemoryBudget,
        betweenPasses: () throws -> Void = {}
    ) throws -> [[Double]] {
        guard !sequences.isEmpty else { return [] }
        let longest = sequences.map(\.tokens.count).max()!
        let session = try InferenceSession(
            model: model, positions: longest,
            slots: slotCount(sequences.count, capacity: longest, config: model.config, memoryBudget: memoryBudget))
        return try session.tokenLogProbabilities(of: sequences, betweenPasses: betweenPasses)
    }
}
