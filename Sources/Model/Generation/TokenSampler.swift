import Kernels

/// Chooses next tokens from logits as `SamplingOptions` says. Greedy picks the first
/// largest logit (torch.argmax). Sampling follows transformers' warpers in their order:
/// temperature (logits / T), top-k (keep every logit ≥ the k-th largest), top-p (drop
/// the least likely tokens while their cumulative probability, counted from the
/// smallest, stays ≤ 1 − p; the most likely token always stays), then one draw from the
/// renormalised probabilities. The draws come from a `SeededGenerator`, so a seed gives the
/// same tokens on every run (not the tokens torch would draw: its generator differs).
/// Scratch is allocated once, for the vocabulary.
public struct TokenSampler {
    public let options: SamplingOptions
    private var generator: SeededGenerator
    /// exp((logit − max) / T) per token.
    private var weights: [Float]
    /// The tokens that may survive top-k and top-p, sorted most likely first.
    private var candidates: [Int32]
    /// A copy of the logits, reordered while finding the k-th largest.
    private var selection: [Float]

    public init(options: SamplingOptions, vocabularySize: Int) throws {
        try options.validate()
        self.options = options
        generator = SeededGenerator(seed: options.seed)
        weights = [Float](repeating: 0, count: vocabularySize)
        candidates = [Int32](repeating: 0, count: vocabularySize)
        selection = [Float](repeating: 0, count: vocabularySize)
    }

    /// The next token for `logits` (one per vocabulary entry).
    public mutating func next(from logits: UnsafeBufferPointer<Float>) -> Int {
        precondition(logits.count == weights.count, "logits must have one entry per vocabulary token")
        return options.isGreedy ? Self.argmax(logits) : sample(logits)
    }

    private static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }

    private mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
        let V = logits.count, maximum = logits[Self.argmax(logits)], inverseTemperature = 1 / options.temperature
        let topK = options.topK.flatMap { $0 < V ? $0 : nil }, topP = options.topP.flatMap { $0 < 1 ? $0 : nil }
        let draw = Double(generator.next() >> 11) / Double(1 << 53)  // uniform in [0, 1)
        var total: Double = 0
        for i in 0..<V {
            weights[i] = fastExp((logits[i] - maximum) * inverseTemperature)
            total += Double(weights[i])
        }
        guard topK != nil || topP != nil else { return pick(draw, among: 0..<V) }

        // Only tokens that can survive are sorted: with top-k, those whose logit reaches the
        // k-th largest (ties included, as in transformers); with top-p alone, those above
        // (1 − p)/V of the total weight: the others hold less than 1 − p together and, being
        // the least likely, top-p drops each of them.
        var count = 0
        if let topK {
            let threshold = kthLargestLogit(logits, topK)
            for i in 0..<V where logits[i] >= threshold {
                candidates[count] = Int32(i)
                count += 1
            }
        } else {
            let floor = Float((1 - Double(topP!)) * total / Double(V))
            for i in 0..<V where weights[i] >= floor {
                candidates[count] = Int32(i)
                count += 1
            }
        }
        // Among equal logits the lower id sorts as less likely, as in torch's ascending sort
        // that top-p walks: it decides which of a tie straddling the top-p cut goes.
        candidates[..<count].sort { a, b in logits[Int(a)] > logits[Int(b)] || (logits[Int(a)] == logits[Int(b)] && a > b) }
        let kept = topP.map { keptByTopP(count: count, topP: $0) } ?? count
        return pick(draw, among: candidates[..<kept].lazy.map { Int($0) })
    }

    /// How many of the first `count` (sorted) candidates top-p keeps.
    private func keptByTopP(count: Int, topP: Float) -> Int {
        var total: Double = 0
        for i in 0..<count { total += Double(weights[Int(candidates[i])]) }
        let removable = (1 - Double(topP)) * total
        var kept = count, tail: Double = 0
        while kept > 1 {
            tail += Double(weights[Int(candidates[kept - 1])])
            if tail > removable { break }
            kept -= 1
        }
        return kept
    }

    /// The k-th largest logit (k ≥ 1), by Hoare's selection on a copy: linear time on average.
    private mutating func kthLargestLogit(_ logits: UnsafeBufferPointer<Float>, _ k: Int) -> Float {
        for i in 0..<logits.count { selection[i] = logits[i] }
        let target = k - 1  // its index in descending order
        var low = 0, high = logits.count - 1
        while low < high {
            let pivot = selection[(low + high) / 2]
            var i = low, j = high
            while i <= j {
                while selection[i] > pivot { i += 1 }
                while selection[j] < pivot { j -= 1 }
                if i <= j {
                    selection.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Now selection[low...j] ≥ pivot ≥ selection[i...high], and anything between equals the pivot.
            if target <= j { high = j } else if target >= i { low = i } else { return pivot }
        }
        return selection[target]
    }

    /// The token whose cumulative weight first exceeds `draw` × the tokens' total weight.
    private func pick(_ draw: Double, among tokens: some Collection<Int>) -> Int {
        var total: Double = 0
        for token in tokens { total += Double(weights[token]) }
        let target = draw * total
        var cumulative: Double = 0
        for token in tokens {
            cumulative += Double(weights[token])
            if cumulative > target { return token }
        }
        return tokens.first!  // not reached: draw < 1, and the most likely token has weight 1
    }
}
