import Model
import XCTest

/// Why generation stops, what the caller sees, and the errors that name a wrong request.
final class GenerationLoopTests: XCTestCase {
    private func session(capacity: Int? = nil) throws -> InferenceSession {
        try InferenceSession(model: try ModelFolder.load(Fixtures.llamaFolder("gqa_untied")), capacity: capacity)
    }

    private let prompt = [1, 17, 42, 5]

    func testStopTokenEndsGenerationAndIsNotReturned() throws {
        let session = try session()
        let path = try session.greedyContinuation(prompt: prompt, maxNewTokens: 20)
        let stopToken = path[5]
        let firstStop = path.firstIndex(of: stopToken)!
        let generation = try session.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 20, stopTokenIDs: [stopToken, 9999]))
        XCTAssertEqual(generation, Generation(tokens: Array(path[..<firstStop]), stop: .endOfSequence))
    }

    func testCallbackSeesEveryTokenAndCanStop() throws {
        let session = try session()
        let path = try session.greedyContinuation(prompt: prompt, maxNewTokens: 20)
        var streamed: [Int] = []
        let generation = try session.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 20)) { token in
            streamed.append(token)
            return streamed.count < 3
        }
        XCTAssertEqual(generation, Generation(tokens: Array(path[..<3]), stop: .stoppedByCaller))
        XCTAssertEqual(streamed, generation.tokens)
    }

    func testMaxNewTokens() throws {
        let session = try session()
        let generation = try session.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 7))
        XCTAssertEqual(generation.tokens.count, 7)
        XCTAssertEqual(generation.stop, .maxNewTokens)
        XCTAssertEqual(try session.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 0)),
                       Generation(tokens: [], stop: .maxNewTokens))
    }

    /// With room for 10 positions and a prompt of 4, tokens 1…6 enter the cache and the 7th
    /// is chosen from the logits of the last position; the path is the unlimited one's.
    func testFullCacheStopsWithContextFull() throws {
        let path = try session().greedyContinuation(prompt: prompt, maxNewTokens: 20)
        let generation = try session(capacity: 10).generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 20))
        XCTAssertEqual(generation, Generation(tokens: Array(path[..<7]), stop: .contextFull))
    }

    func testResetForgetsTheCache() throws {
        let session = try session()
        let first = Array(try session.append(tokens: prompt))
        try session.append(tokens: [3, 4, 5])
        XCTAssertEqual(session.count, 7)
        session.reset()
        XCTAssertEqual(session.count, 0)
        XCTAssertEqual(Array(try session.append(tokens: prompt)), first)
    }

    func testErrorsNameTheProblem() throws {
        let model = try ModelFolder.load(Fixtures.llamaFolder("gqa_untied"))  // vocabulary 80, 64 positions
        XCTAssertThrowsError(try InferenceSession(model: model, capacity: 65)) {
            XCTAssertEqual($0 as? GenerationError, .invalidCapacity(65, maxPositionEmbeddings: 64))
        }
        XCTAssertThrowsError(try InferenceSession(model: model, capacity: 0))
        let session = try InferenceSession(model: model, capacity: 8)
        XCTAssertThrowsError(try session.append(tokens: [])) { XCTAssertEqual($0 as? GenerationError, .emptyInput) }
        XCTAssertThrowsError(try session.append(tokens: [1, 80])) {
            XCTAssertEqual($0 as? GenerationError, .tokenOutOfRange(token: 80, vocabularySize: 80))
            XCTAssertEqual("\($0)", "token id 80 is outside the vocabulary (size 80)")
        }
        try session.append(tokens: [1, 2, 3, 4, 5, 6])
        XCTAssertThrowsError(try session.append(tokens: [1, 2, 3])) {
            XCTAssertEqual($0 as? GenerationError, .contextFull(held: 6, adding: 3, capacity: 8))
        }
        XCTAssertEqual(session.count, 6, "a rejected append leaves the cache as it was")

        let invalid: [(GenerationOptions, String)] = [
            (GenerationOptions(maxNewTokens: -1), "maxNewTokens"),
            (GenerationOptions(maxNewTokens: 1, sampling: SamplingOptions(temperature: -1)), "temperature"),
            (GenerationOptions(maxNewTokens: 1, sampling: SamplingOptions(temperature: .nan)), "temperature"),
            (GenerationOptions(maxNewTokens: 1, sampling: SamplingOptions(topK: 0)), "topK"),
            (GenerationOptions(maxNewTokens: 1, sampling: SamplingOptions(topP: 0)), "topP"),
            (GenerationOptions(maxNewTokens: 1, sampling: SamplingOptions(topP: 1.5)), "topP"),
        ]
        for (options, name) in invalid {
            XCTAssertThrowsError(try session.generate(prompt: [1], options: options)) { error in
                guard case .invalidOption(let field, _)? = error as? GenerationError else { return XCTFail("\(error)") }
                XCTAssertEqual(field, name)
            }
        }
    }
}
