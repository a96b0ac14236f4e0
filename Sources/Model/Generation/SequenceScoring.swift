import Kernels

extension InferenceSession {
    /// log p of the tokens of each sequence from index `scoredFrom` on (1 ≤ scoredFrom ≤
    /// count), each given the tokens before it: the likelihood of an answer after its prompt.
    /// The sequences run as `generate(prompts:options:)` runs prompts: ragged, every slot busy,
    /// rows of several sequences in one pass, a freed slot taking the next sequence, and no
    /// padding; only the scored positions go through the output layer. `betweenPasses` runs
    /// before every pass and may throw to cancel. Every sequence is checked before anything runs.
    public func tokenLogProbabilities(of sequences: [(tokens: [Int], scoredFrom: Int)],
                                      betweenPasses: () throws -> Void = {}) throws -> [[Double]] {
        for sequence in sequences {
            try sequence.tokens.withUnsafeBufferPointer { try validate($0, fittingAfter: 0) }
            guard (1...sequence.tokens.count).contains(sequence.scoredFrom) else {
                throw GenerationError.invalidOption("scoredFrom", reason: "must be in 1...\(sequence.tokens.count), not \(sequence.scoredFrom)")
            }
        }
        reset()
        var results = sequences.map { [Double](repeating: 0, count: $0.tokens.count - $0.scoredFrom) }
        var owners = [Int?](repeating: nil, count: slots)
        var inputs = [SlotInput?](repeating: nil, count: slots)
        var next = 0
        /// Gives the next sequences to the empty slots.
        func admit() {
            for slot in 0..<slots where owners[slot] == nil && next < sequences.count {
                empty(slot: slot)
                let (tokens, scoredFrom) = sequences[next]
                // The logits after token i predict token i + 1.
                (owners[slot], inputs[slot]) = (next, SlotInput(tokens: tokens, logits: scoredFrom - 1..<tokens.count - 1))
                next += 1
            }
        }

        let V = model.config.vocabSize
        var targets = [Int32](repeating: 0, count: rowsPerPass), losses = [Float](repeating: 0, count: rowsPerPass)
        var logSumExp = losses
        admit()
        while owners.contains(where: { $0 != nil }) {
            try betweenPasses()
            let taken = stagePass(&inputs)
            let logits = runStaged()
            var rows = 0
            for staged in taken {
                let tokens = inputs[staged.slot]!.tokens
                for i in staged.logits { targets[staged.firstLogitRow + i - staged.logits.lowerBound] = Int32(tokens[i + 1]) }
                rows += staged.logits.count
            }
            crossEntropyForward(losses: &losses, logSumExp: &logSumExp, logits: logits.baseAddress!, targets: targets, rows: rows, vocabulary: V)
            for staged in taken {
                let owner = owners[staged.slot]!, scoredFrom = sequences[owner].scoredFrom
                for i in staged.logits {
                    results[owner][i + 1 - scoredFrom] = -Double(losses[staged.firstLogitRow + i - staged.logits.lowerBound])
                }
                if inputs[staged.slot]!.isFed { (owners[staged.slot], inputs[staged.slot]) = (nil, nil) }
            }
            admit()
        }
        return results
    }

    /// `tokenLogProbabilities(of:)` on a session sized for `sequences`
    /// (`sized(for:maxNewTokens:model:memoryBudget:)` with no new tokens).
    public static func tokenLogProbabilities(
        of sequences: [(tokens: [Int], scoredFrom: Int)], model: LlamaModel, memoryBudget: Int = defaultMemoryBudget,
        betweenPasses: () throws -> Void = {}
    ) throws -> [[Double]] {
        guard !sequences.isEmpty else { return [] }
        let session = try sized(for: sequences.map(\.tokens), maxNewTokens: 0, model: model, memoryBudget: memoryBudget)
        return try session.tokenLogProbabilities(of: sequences, betweenPasses: betweenPasses)
    }
}
