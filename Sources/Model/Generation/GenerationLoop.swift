extension InferenceSession {
    /// Generates up to `options.maxNewTokens` tokens after `prompt`, starting from an empty
    /// cache. `onToken` sees each new token as it is chosen (for streaming, or to stop at a
    /// stop string) and returns false to end generation there. A stop token ends generation
    /// without being returned or passed to `onToken`.
    public func generate(prompt: [Int], options: GenerationOptions,
                         onToken: (Int) -> Bool = { _ in true }) throws -> Generation {
        try generate(prompts: [prompt], options: options) { _, token in onToken(token) }[0]
    }

    /// Generates after each of `prompts` as `generate(prompt:options:)` does, with every slot
    /// busy at once: each pass runs a decode row of every sequence that has a prompt behind
    /// it and fills the rest of its rows with prompt tokens, so one pass over the weights
    /// advances them all. A finished sequence (a stop token, `maxNewTokens`, its callback,
    /// a full slot) drops out and its slot takes the next prompt. Each sequence's tokens are
    /// the ones it would get alone, up to float rounding (a matrix product of other row counts
    /// may round a near tie the other way); a sampled sequence draws from its own generator,
    /// seeded with `options.sampling.seed` as alone. `onToken(sequence, token)` sees each new
    /// token and returns false to end that sequence; `onFinished(sequence, generation)` sees
    /// each sequence as it ends; `betweenPasses` runs before every pass, and what it throws
    /// ends the whole generation (a cancellation). Every prompt is checked before anything runs.
    public func generate(prompts: [[Int]], options: GenerationOptions,
                         onToken: (_ sequence: Int, _ token: Int) -> Bool = { _, _ in true },
                         onFinished: (_ sequence: Int, Generation) -> Void = { _, _ in },
                         betweenPasses: () throws -> Void = {}) throws -> [Generation] {
        guard options.maxNewTokens >= 0 else {
            throw GenerationError.invalidOption("maxNewTokens", reason: "must be ≥ 0, not \(options.maxNewTokens)")
        }
        let prototype = try TokenSampler(options: options.sampling, vocabularySize: model.config.vocabSize)
        for prompt in prompts { try prompt.withUnsafeBufferPointer { try validate($0, fittingAfter: 0) } }
        reset()
        var samplers = [TokenSampler](repeating: prototype, count: slots)
        var results = [Generation?](repeating: nil, count: prompts.count)
        // Per slot: the sequence in it (its index and tokens so far) and its input.
        var running = [(index: Int, tokens: [Int])?](repeating: nil, count: slots)
        var inputs = [SlotInput?](repeating: nil, count: slots)
        var nextPrompt = 0

        func finish(_ slot: Int, _ stop: GenerationStop) {
            let sequence = running[slot]!, generation = Generation(tokens: sequence.tokens, stop: stop)
            results[sequence.index] = generation
            (running[slot], inputs[slot]) = (nil, nil)
            onFinished(sequence.index, generation)
        }
        /// Gives the next prompts to the empty slots.
        func admit() {
            for slot in 0..<slots where running[slot] == nil && nextPrompt < prompts.count {
                empty(slot: slot)
                samplers[slot] = prototype
                running[slot] = (nextPrompt, [])
                inputs[slot] = SlotInput(tokens: prompts[nextPrompt], logits: prompts[nextPrompt].count - 1..<prompts[nextPrompt].count)
                nextPrompt += 1
                if options.maxNewTokens == 0 { finish(slot, .maxNewTokens) }
            }
        }

        admit()
        while running.contains(where: { $0 != nil }) {
            try betweenPasses()
            // Every running sequence's decode step fits (a pass has a row per slot and more);
            // prompt tokens fill the rows left.
            let taken = stagePass(&inputs)
            let logits = runStaged(), V = model.config.vocabSize
            for staged in taken where inputs[staged.slot]!.isFed {
                let slot = staged.slot, row = staged.firstLogitRow
                let token = samplers[slot].next(from: UnsafeBufferPointer(rebasing: logits[row * V..<(row + 1) * V]))
                if options.stopTokenIDs.contains(token) {
                    finish(slot, .endOfSequence)
                    continue
                }
                running[slot]!.tokens.append(token)
                if !onToken(running[slot]!.index, token) {
                    finish(slot, .stoppedByCaller)
                } else if running[slot]!.tokens.count == options.maxNewTokens {
                    finish(slot, .maxNewTokens)
                } else if count(slot: slot) == capacity {
                    // The token just chosen must enter the cache before the next one can be chosen.
                    finish(slot, .contextFull)
                } else {
                    inputs[slot] = SlotInput(tokens: [token], logits: 0..<1)
                }
            }
            admit()
        }
        return results.map { $0! }
    }

    /// The greedy continuation of `prompt` (transformers' `generate(do_sample=False)`),
    /// without the stop token that ended it: for evaluation code.
    public func greedyContinuation(prompt: [Int], maxNewTokens: Int, stopTokenIDs: Set<Int> = []) throws -> [Int] {
        try generate(prompt: prompt, options: GenerationOptions(maxNewTokens: maxNewTokens, stopTokenIDs: stopTokenIDs)).tokens
    }

    /// The greedy continuations of `prompts` in one batched run (`generate(prompts:options:)`)
    /// on a session sized for them (`sized(for:maxNewTokens:model:memoryBudget:)`).
    public static func greedyContinuations(
        of prompts: [[Int]], model: LlamaModel, maxNewTokens: Int, stopTokenIDs: Set<Int> = [],
        memoryBudget: Int = defaultMemoryBudget, onFinished: (_ sequence: Int, Generation) -> Void = { _, _ in },
        betweenPasses: () throws -> Void = {}
    ) throws -> [Generation] {
        guard !prompts.isEmpty else { return [] }
        let session = try sized(for: prompts, maxNewTokens: maxNewTokens, model: model, memoryBudget: memoryBudget)
        return try session.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: maxNewTokens, stopTokenIDs: stopTokenIDs),
                                    onFinished: onFinished, betweenPasses: betweenPasses)
    }
}
