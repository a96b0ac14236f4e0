/// What one `generate` call may produce: at most `maxNewTokens` tokens chosen by `sampling`,
/// ending early at any of `stopTokenIDs` (usually `Set(config.eosTokenIDs)`).
public struct GenerationOptions: Sendable, Equatable {
    public var maxNewTokens: Int
    public var sampling: SamplingOptions
    public var stopTokenIDs: Set<Int>

    public init(maxNewTokens: Int, sampling: SamplingOptions = .greedy, stopTokenIDs: Set<Int> = []) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopTokenIDs = stopTokenIDs
    }
}
