/// How the next token is chosen from the logits. Temperature 0 is greedy (argmax). Otherwise
/// the logits are divided by the temperature, then cut to the `topK` largest, then to the
/// smallest set of top tokens holding `topP` of the probability (transformers' order), and
/// a token is drawn with a generator seeded by `seed`. Unlike transformers' defaults,
/// top-k and top-p are off unless set.
public struct SamplingOptions: Sendable, Equatable {
    public var temperature: Float
    public var topK: Int?
    public var topP: Float?
    public var seed: UInt64

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    /// Always the most likely token (transformers' `do_sample=False`).
    public static let greedy = SamplingOptions(temperature: 0)

    var isGreedy: Bool { temperature == 0 }

    func validate() throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw GenerationError.invalidOption("temperature", reason: "must be a finite number ≥ 0 (0 = greedy), not \(temperature)")
        }
        if let topK, topK < 1 {
            throw GenerationError.invalidOption("topK", reason: "must be at least 1, not \(topK)")
        }
        if let topP, !(topP > 0 && topP <= 1) {
            throw GenerationError.invalidOption("topP", reason: "must be in (0, 1], not \(topP)")
        }
    }
}
