/// Why generation ended.
public enum GenerationStop: Sendable, Equatable {
    /// The model chose one of the stop token ids (not included in the tokens).
    case endOfSequence
    /// The per-token callback returned false.
    case stoppedByCaller
    /// `maxNewTokens` tokens were produced.
    case maxNewTokens
    /// The KV cache is full (its capacity, at most max_position_embeddings, is reached),
    /// so no further token can be fed to the model.
    case contextFull
}

/// The tokens one `generate` call produced, after the prompt, and why it stopped.
public struct Generation: Sendable, Equatable {
    public var tokens: [Int]
    public var stop: GenerationStop

    public init(tokens: [Int], stop: GenerationStop) {
        self.tokens = tokens
        self.stop = stop
    }
}
