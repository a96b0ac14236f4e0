import Kernels
import Model
import XCTest

/// Many sequences in one session: ragged prompts prefilled together, decode steps of every
/// active sequence as rows of one pass, sequences ending at different steps, and slots reused
/// when there are more prompts than slots. Each sequence is checked against the
/// single-sequence path step by step: a matrix product over other row counts may round a
/// logit differently, so a token counts as the single path's when its logit is within a
/// tolerance of the largest (never exact float equality).
final class BatchedGenerationTests: XCTestCase {
    override func tearDown() {
        Parallelism.setThreadCount(ProcessInfo.processInfo.activeProcessorCount)
    }

    private func model() throws -> LlamaModel { try ModelFolder.load(Fixtures.llamaFolder("gqa_untied")) }  // vocabulary 80, 64 positions

    /// Ragged prompts of 1 to 50 tokens: together longer than a pass, so prefill takes several.
    private let prompts: [[Int]] = [[1, 17, 42, 5], [3], Array(0..<50).map { ($0 * 7 + 3) % 80 }, [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 11],
                                    Array(0..<33).map { ($0 * 13) % 80 }, [2, 4]]

    /// Logits this close to the largest count as a tie the other path may break differently.
    private let tolerance: Float = 1e-4

    /// `generation` is what `prompt` gives alone: every token is the single session's argmax
    /// (up to `tolerance`) after the prompt and the tokens before it, and the stop is the one
    /// that path reaches.
    private func assertFollowsSinglePath(_ generation: Generation, prompt: [Int], options: GenerationOptions, capacity: Int,
                                         model: LlamaModel, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let single = try InferenceSession(model: model, capacity: capacity)
        var logits = Array(try single.append(tokens: prompt))
        func isArgmax(_ token: Int) -> Bool { logits[token] >= logits.max()! - tolerance }
        for (step, token) in generation.tokens.enumerated() {
            XCTAssertTrue(isArgmax(token), "\(label): token \(step) (\(token)) is not the single path's argmax", file: file, line: line)
            XCTAssertFalse(options.stopTokenIDs.contains(token), "\(label): a stop token is returned", file: file, line: line)
            if step + 1 < generation.tokens.count { logits = Array(try single.append(token: token)) }
        }
        switch generation.stop {
        case .endOfSequence:
            if let last = generation.tokens.last { logits = Array(try single.append(token: last)) }
            XCTAssertTrue(options.stopTokenIDs.contains(where: isArgmax), "\(label): ended without a stop token", file: file, line: line)
        case .maxNewTokens:
            XCTAssertEqual(generation.tokens.count, options.maxNewTokens, label, file: file, line: line)
        case .contextFull:
            XCTAssertEqual(prompt.count + generation.tokens.count - 1, capacity, label, file: file, line: line)
        case .stoppedByCaller:
            break
        }
    }

    func testBatchedGreedyFollowsTheSinglePathForRaggedPrompts() throws {
        let model = try model()
        for threads in [1, 2] {
            Parallelism.setThreadCount(threads)
            let options = GenerationOptions(maxNewTokens: 12)
            let session = try InferenceSession(model: model, slots: prompts.count)
            var finished: [Int] = []
            let generations = try session.generate(prompts: prompts, options: options, onFinished: { index, _ in finished.append(index) })
            XCTAssertEqual(finished.sorted(), Array(prompts.indices), "each sequence is reported once")
            for (index, generation) in generations.enumerated() {
                XCTAssertEqual(generation.stop, .maxNewTokens)
                try assertFollowsSinglePath(generation, prompt: prompts[index], options: options, capacity: 64, model: model,
                                            "prompt \(index), \(threads) threads")
            }
        }
    }

    /// A stop token that some sequences reach early and others late or never: the finished
    /// ones drop out of the rows while the rest go on.
    func testSequencesEndAtDifferentSteps() throws {
        let model = try model()
        let session = try InferenceSession(model: model, capacity: 64)
        let paths = try prompts.map { try session.greedyContinuation(prompt: $0, maxNewTokens: 16) }
        let stop: Set<Int> = [paths[0][2], paths[3][9]]
        let options = GenerationOptions(maxNewTokens: 16, stopTokenIDs: stop)
        let generations = try InferenceSession(model: model, capacity: 64, slots: 4).generate(prompts: prompts, options: options)
        XCTAssertLessThanOrEqual(generations[0].tokens.count, 2)
        XCTAssertEqual(generations[0].stop, .endOfSequence)
        XCTAssertGreaterThan(Set(generations.map(\.tokens.count)).count, 1, "sequences of several lengths")
        for (index, generation) in generations.enumerated() {
            try assertFollowsSinglePath(generation, prompt: prompts[index], options: options, capacity: 64, model: model, "prompt \(index)")
        }
    }

    func testCallbackEndsOneSequenceAndFullSlotsStopWithContextFull() throws {
        let model = try model()
        let options = GenerationOptions(maxNewTokens: 40)
        let capacity = 40
        let short = prompts.filter { $0.count < capacity }
        let generations = try InferenceSession(model: model, capacity: capacity, slots: 3).generate(prompts: short, options: options) { index, _ in
            index != 1
        }
        XCTAssertEqual(generations[1].tokens.count, 1)
        XCTAssertEqual(generations[1].stop, .stoppedByCaller)
        for (index, generation) in generations.enumerated() where index != 1 {
            XCTAssertEqual(generation.stop, .contextFull, "prompt \(index)")
            try assertFollowsSinglePath(generation, prompt: short[index], options: options, capacity: capacity, model: model, "prompt \(index)")
        }
    }

    /// With a memory budget for two slots, six prompts run two at a time, and give what they
    /// give with a slot each.
    func testMemoryBudgetSplitsThePromptsIntoTurns() throws {
        let model = try model()
        let perSlot = InferenceSession.bytesPerSlot(config: model.config, capacity: 60)
        let bounded = try InferenceSession.sized(for: prompts, maxNewTokens: 10, model: model, memoryBudget: 2 * perSlot + perSlot / 2)
        XCTAssertEqual(bounded.slots, 2)
        XCTAssertEqual(bounded.capacity, 60, "the longest prompt (50) and 10 new tokens")
        let unbounded = try InferenceSession.sized(for: prompts, maxNewTokens: 10, model: model)
        XCTAssertEqual(unbounded.slots, prompts.count)
        let small = try InferenceSession.sized(for: [[1, 2, 3], [4]], maxNewTokens: 5, model: model)
        XCTAssertEqual(small.capacity, 8, "sized by need, not max_position_embeddings")

        let options = GenerationOptions(maxNewTokens: 10, stopTokenIDs: [7])
        var order: [Int] = []
        let generations = try bounded.generate(prompts: prompts, options: options, onFinished: { index, _ in order.append(index) })
        XCTAssertEqual(Set(order[..<2]), [0, 1], "the first two prompts take the two slots")
        let together = try unbounded.generate(prompts: prompts, options: options)
        for (index, generation) in generations.enumerated() {
            for (path, label) in [(generation, "in turns"), (together[index], "together")] {
                try assertFollowsSinglePath(path, prompt: prompts[index], options: options, capacity: 60, model: model,
                                            "prompt \(index), \(label)")
            }
        }
        let oneSlot = try InferenceSession.greedyContinuations(of: prompts, model: model, maxNewTokens: 10, stopTokenIDs: [7],
                                                              memoryBudget: 1)
        XCTAssertEqual(oneSlot.count, prompts.count, "a budget below one slot still runs one")
        for (index, generation) in oneSlot.enumerated() {
            try assertFollowsSinglePath(generation, prompt: prompts[index], options: options, capacity: 60, model: model, "prompt \(index), one slot")
        }
    }

    func testErrorsAreThrownBeforeAnythingRuns() throws {
        let model = try model()
        let session = try InferenceSession(model: model, capacity: 16, slots: 3)
        let options = GenerationOptions(maxNewTokens: 4)
        XCTAssertThrowsError(try session.generate(prompts: [[1, 2], Array(repeating: 5, count: 17)], options: options)) {
            XCTAssertEqual($0 as? GenerationError, .contextFull(held: 0, adding: 17, capacity: 16))
        }
        XCTAssertThrowsError(try session.generate(prompts: [[1, 2], []], options: options)) {
            XCTAssertEqual($0 as? GenerationError, .emptyInput)
        }
        XCTAssertThrowsError(try session.generate(prompts: [[1, 2], [80]], options: options)) {
            XCTAssertEqual($0 as? GenerationError, .tokenOutOfRange(token: 80, vocabularySize: 80))
        }
        XCTAssertThrowsError(try InferenceSession(model: model, slots: 0)) {
            guard case .invalidOption("slots", _)? = $0 as? GenerationError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try session.generate(prompts: [], options: options), [])
        XCTAssertEqual(try session.generate(prompts: [[1], [2, 3]], options: GenerationOptions(maxNewTokens: 0)),
                       [Generation(tokens: [], stop: .maxNewTokens), Generation(tokens: [], stop: .maxNewTokens)])
    }

    /// Sampled sequences draw from their own generators, seeded as alone: the same seed gives
    /// each prompt the draws it gets by itself.
    func testSampledSequencesDrawAsAlone() throws {
        let model = try model()
        let options = GenerationOptions(maxNewTokens: 8, sampling: SamplingOptions(temperature: 0.7, seed: 5))
        let alone = try prompts.map { try InferenceSession(model: model).generate(prompt: $0, options: options) }
        let batched = try InferenceSession(model: model, slots: 3).generate(prompts: prompts, options: options)
        XCTAssertEqual(batched, alone)
    }

    /// Scoring runs the sequences ragged in shared passes, a prefix shared by consecutive
    /// sequences once; each log-probability is the one a full forward pass over that sequence
    /// alone gives, also past max_position_embeddings.
    func testTokenLogProbabilitiesEqualAFullForwardPass() throws {
        let model = try model()
        let shared = Array(prompts[2][..<20])
        let answers = [[5, 6, 7, 8], [9], [10, 11], [], Array(30..<45), [12, 13, 14]]
        let sequences = prompts.enumerated().map { index, tokens in (tokens: tokens, scoredFrom: min(tokens.count, 1 + index % 3)) }
            + answers.map { (tokens: shared + $0, scoredFrom: 20) } + [(tokens: [4, 5, 6], scoredFrom: 1)]
            // Longer than max_position_embeddings (64): scored as a forward pass runs it.
            + [(tokens: Array(0..<70).map { ($0 * 11 + 1) % 80 }, scoredFrom: 60)]
        for slots in [1, 2, 3, sequences.count] {
            let perSlot = InferenceSession.bytesPerSlot(config: model.config, capacity: 70)
            let scored = try InferenceSession.tokenLogProbabilities(of: sequences, model: model, memoryBudget: slots * perSlot)
            for (index, sequence) in sequences.enumerated() {
                try model.forward(TokenBatch(inputIDs: [sequence.tokens]))
                let V = model.config.vocabSize, logits = model.logits
                let expected = (sequence.scoredFrom..<sequence.tokens.count).map { target in
                    let row = (0..<V).map { Double(logits[(target - 1) * V + $0]) }, largest = row.max()!
                    return row[sequence.tokens[target]] - largest - log(row.reduce(0) { $0 + exp($1 - largest) })
                }
                XCTAssertEqual(scored[index].count, expected.count, "sequence \(index)")
                for (a, b) in zip(scored[index], expected) { XCTAssertEqual(a, b, accuracy: 1e-4, "sequence \(index), \(slots) slots") }
            }
        }
        XCTAssertThrowsError(try InferenceSession(model: model).tokenLogProbabilities(of: [([1, 2], 0)])) {
            guard case .invalidOption("scoredFrom", _)? = $0 as? GenerationError else { return XCTFail("\($0)") }
        }
    }
}
