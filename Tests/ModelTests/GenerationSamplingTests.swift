import Model
import XCTest

/// The sampler: seeded reproducibility, the greedy limits of top-k and top-p, and draw
/// frequencies against the distributions transformers' warpers define. Every draw is
/// seeded, so the frequencies (and these tests) are the same on every run.
final class GenerationSamplingTests: XCTestCase {
    private let prompt = [1, 30, 12, 7, 55]

    private func session() throws -> InferenceSession {
        try InferenceSession(model: try ModelFolder.load(Fixtures.llamaFolder("mha_tied")))
    }

    private func sample(_ session: InferenceSession, _ sampling: SamplingOptions) throws -> [Int] {
        try session.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 30, sampling: sampling)).tokens
    }

    func testSameSeedGivesSameTokens() throws {
        let session = try session()
        let options = SamplingOptions(temperature: 1.5, topK: 40, topP: 0.95, seed: 11)
        let first = try sample(session, options)
        XCTAssertEqual(try sample(session, options), first)
        XCTAssertEqual(try sample(try self.session(), options), first, "a new session")
        var other = options
        other.seed = 12
        XCTAssertNotEqual(try sample(session, other), first)
        XCTAssertNotEqual(first, try session.greedyContinuation(prompt: prompt, maxNewTokens: 30), "the draws are not greedy")
    }

    func testTopKOfOneAndTinyTopPAreGreedy() throws {
        let session = try session()
        let greedy = try session.greedyContinuation(prompt: prompt, maxNewTokens: 30)
        for seed: UInt64 in [1, 2] {
            XCTAssertEqual(try sample(session, SamplingOptions(temperature: 1, topK: 1, seed: seed)), greedy)
            XCTAssertEqual(try sample(session, SamplingOptions(temperature: 2, topP: 1e-6, seed: seed)), greedy)
        }
    }

    /// Draw frequencies of `draws` samples from fixed logits.
    private func frequencies(_ logits: [Float], _ options: SamplingOptions, draws: Int = 40_000) throws -> [Double] {
        var sampler = try TokenSampler(options: options, vocabularySize: logits.count)
        var counts = [Double](repeating: 0, count: logits.count)
        logits.withUnsafeBufferPointer { logits in
            for _ in 0..<draws { counts[sampler.next(from: logits)] += 1 }
        }
        return counts.map { $0 / Double(draws) }
    }

    /// softmax(logits / T) over the tokens in `kept` (zero elsewhere), in Double.
    private func expected(_ logits: [Float], temperature: Double, kept: Set<Int>? = nil) -> [Double] {
        let weights = logits.indices.map { kept?.contains($0) ?? true ? exp(Double(logits[$0]) / temperature) : 0 }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// With 10 000 draws or more the standard error of a frequency is at most 0.005, so 0.02 is 4σ.
    private func assertFrequencies(_ actual: [Double], _ expected: [Double], _ label: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        for (token, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: 0.02, "\(label): token \(token)", file: file, line: line)
            if e == 0 { XCTAssertEqual(a, 0, "\(label): token \(token) is filtered out", file: file, line: line) }
        }
    }

    private let logits: [Float] = [2.0, 1.2, 0.5, 0.0, -0.7, 1.9, -2.0, 0.3]

    func testTemperatureScalesTheDistribution() throws {
        for temperature: Float in [0.5, 1, 2] {
            assertFrequencies(try frequencies(logits, SamplingOptions(temperature: temperature, seed: 5)),
                              expected(logits, temperature: Double(temperature)), "T = \(temperature)")
        }
        // Lower temperature sharpens: the most likely token gains.
        let cold = try frequencies(logits, SamplingOptions(temperature: 0.5, seed: 6))
        let hot = try frequencies(logits, SamplingOptions(temperature: 2, seed: 6))
        XCTAssertGreaterThan(cold[0], hot[0] + 0.2)
    }

    /// Top-k after temperature: the k largest logits stay, and a tie with the k-th stays too.
    func testTopKKeepsTheKLargestAndTheirTies() throws {
        assertFrequencies(try frequencies(logits, SamplingOptions(temperature: 0.8, topK: 3, seed: 7)),
                          expected(logits, temperature: 0.8, kept: [0, 5, 1]), "top-3")
        let tied: [Float] = [1.0, 0.5, 0.5, 0.2]
        assertFrequencies(try frequencies(tied, SamplingOptions(topK: 2, seed: 8)),
                          expected(tied, temperature: 1, kept: [0, 1, 2]), "top-2 with a tie")
    }

    /// Probabilities 0.5, 0.3, 0.15, 0.05 and top-p 0.75: counted from the smallest, the
    /// cumulative 0.05 and 0.2 are ≤ 0.25 (removed), 0.5 is not (kept).
    func testTopPKeepsTheSmallestTopSetAboveP() throws {
        let logits = [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) }
        assertFrequencies(try frequencies(logits, SamplingOptions(topP: 0.75, seed: 9)),
                          expected(logits, temperature: 1, kept: [0, 1]), "top-p 0.75")
        // Top-k first, then top-p over the renormalised rest: top-3 gives 0.526, 0.316, 0.158;
        // with top-p 0.8 the cumulative 0.158 is ≤ 0.2 and goes, 0.474 stays.
        assertFrequencies(try frequencies(logits, SamplingOptions(topK: 3, topP: 0.8, seed: 10)),
                          expected(logits, temperature: 1, kept: [0, 1]), "top-3 then top-p 0.8")
        assertFrequencies(try frequencies(logits, SamplingOptions(topP: 1, seed: 11)),
                          expected(logits, temperature: 1), "top-p 1 keeps everything")
    }

    /// transformers' TopKLogitsWarper then TopPLogitsWarper, literally (sort everything, in Double):
    /// the tokens that survive.
    private func transformersKept(_ logits: [Float], temperature: Double, topK: Int?, topP: Double?) -> Set<Int> {
        var scores = logits.map { Double($0) / temperature }
        if let topK, topK < scores.count {
            let kth = scores.sorted(by: >)[topK - 1]
            scores = scores.map { $0 < kth ? -.infinity : $0 }
        }
        if let topP {
            let ascending = scores.indices.sorted { (scores[$0], $0) < (scores[$1], $1) }  // ties: lower id first
            let maximum = scores.max()!, total = scores.reduce(0) { $0 + exp($1 - maximum) }
            var cumulative = 0.0
            for (rank, token) in ascending.enumerated() where rank < ascending.count - 1 {
                cumulative += exp(scores[token] - maximum) / total
                if cumulative <= 1 - topP { scores[token] = -.infinity }
            }
        }
        return Set(scores.indices.filter { scores[$0] > -.infinity })
    }

    /// Random peaked logits over 32 tokens, with ties: the sampler's surviving tokens and
    /// their frequencies are transformers'. Top-p alone sorts only the tokens above
    /// (1 − p)/V of the mass; top-k finds its threshold by selection: both are checked here.
    func testFilteringAgreesWithTransformersOnRandomLogits() throws {
        var generator = SeededGenerator(seed: 12)
        for trial in 0..<2 {
            var logits = (0..<32).map { _ in (3 * generator.nextGaussian() * 4).rounded() / 4 }  // steps of 1/4: ties
            logits[Int.random(in: 0..<32, using: &generator)] = logits.max()!  // a tie at the top too
            for (temperature, topK, topP): (Float, Int?, Float?) in [(1, nil, 0.9), (0.7, nil, 0.6), (1.3, 10, nil),
                                                                     (1, 5, 0.8), (2, 31, nil), (1, 32, 0.99)] {
                let kept = transformersKept(logits, temperature: Double(temperature), topK: topK, topP: topP.map(Double.init))
                let options = SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: UInt64(trial))
                assertFrequencies(try frequencies(logits, options, draws: 10_000),
                                  expected(logits, temperature: Double(temperature), kept: kept),
                                  "trial \(trial), T \(temperature), top-k \(topK.map(String.init) ?? "-"), top-p \(topP.map { "\($0)" } ?? "-")")
            }
        }
    }

    func testGreedyPicksTheFirstLargestLogit() throws {
        var sampler = try TokenSampler(options: .greedy, vocabularySize: 4)
        XCTAssertEqual([0.1, 0.7, 0.7, -1].withUnsafeBufferPointer { sampler.next(from: $0) }, 1)
    }
}
