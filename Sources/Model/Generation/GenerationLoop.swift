extension InferenceSession {
    /// Generates up to `options.maxNewTokens` tokens after `prompt`, starting from an empty
    /// cache. `onToken` sees each new token as it is chosen (for streaming, or to stop at a
    /// stop string) and returns false to end generation there. A stop token ends generation
    /// without being returned or passed to `onToken`.
    public func generate(prompt: [Int], options: GenerationOptions,
                         onToken: (Int) -> Bool = { _ in true }) throws -> Generation {
        guard options.maxNewTokens >= 0 else {
            throw GenerationError.invalidOption("maxNewTokens", reason: "must be ≥ 0, not \(options.maxNewTokens)")
        }
        var sampler = try TokenSampler(options: options.sampling, vocabularySize: model.config.vocabSize)
        reset()
        var logits = try append(tokens: prompt)
        var tokens: [Int] = []
        tokens.reserveCapacity(options.maxNewTokens)
        while tokens.count < options.maxNewTokens {
            let token = sampler.next(from: logits)
            if options.stopTokenIDs.contains(token) { return Generation(tokens: tokens, stop: .endOfSequence) }
            tokens.append(token)
            guard onToken(token) else { return Generation(tokens: tokens, stop: .stoppedByCaller) }
            guard tokens.count < options.maxNewTokens else { break }
            // The token just chosen must enter the cache before the next one can be chosen.
            guard count < capacity else { return Generation(tokens: tokens, stop: .contextFull) }
            logits = try append(token: token)
        }
        return Generation(tokens: tokens, stop: .maxNewTokens)
    }

    /// The greedy continuation of `prompt` (transformers' `generate(do_sample=False)`),
    /// without the stop token that ended it: for evaluation code.
    public func greedyContinuation(prompt: [Int], maxNewTokens: Int, stopTokenIDs: Set<Int> = []) throws -> [Int] {
        try generate(prompt: prompt, options: GenerationOptions(maxNewTokens: maxNewTokens, stopTokenIDs: stopTokenIDs)).tokens
    }
}
