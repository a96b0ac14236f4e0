import Foundation
@testable import Model
import XCTest

final class TokenizerTrainerTests: XCTestCase {
    /// Same texts, same settings: the same vocabulary and merges as tokenizers' BpeTrainer,
    /// and, written out, the very bytes tokenizers saved.
    func testTrainerLearnsWhatTokenizersLearnsAndWritesTheSameFile() throws {
        let trained = TokenizerFixtures.gpt2Trainer.train(texts: try TokenizerFixtures.corpus())
        let expected = try Data(contentsOf: TokenizerFixtures.file("gpt2_trained"))
        XCTAssertEqual(String(decoding: TokenizerWriter.json(trained.definition), as: UTF8.self), String(decoding: expected, as: UTF8.self))
    }

    /// lethe_trained/tokenizer.json is this trainer's output, which the fixture script loads
    /// with tokenizers. With LETHE_WRITE_TOKENIZER_FIXTURE=1 the test writes it instead.
    func testTrainerReproducesTheCommittedLetheTrainedFile() throws {
        let trained = TokenizerFixtures.letheTrainer.train(texts: try TokenizerFixtures.corpus())
        let url = TokenizerFixtures.file("lethe_trained")
        if ProcessInfo.processInfo.environment["LETHE_WRITE_TOKENIZER_FIXTURE"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try trained.write(to: url)
        }
        XCTAssertEqual(TokenizerWriter.json(trained.definition), Array(try Data(contentsOf: url)))
    }

    /// Word counts are sums and ties are broken by ids, so the order of the texts (and of
    /// Swift's randomly seeded dictionaries) cannot change the result.
    func testTrainingIsDeterministicWhateverTheOrderOfTheTexts() throws {
        let corpus = try TokenizerFixtures.corpus()
        let trainer = BPETrainer(vocabularySize: 360, specialTokens: ["<|endoftext|>"])
        let first = TokenizerWriter.json(trainer.train(texts: corpus).definition)
        XCTAssertEqual(TokenizerWriter.json(trainer.train(texts: corpus).definition), first)
        XCTAssertEqual(TokenizerWriter.json(trainer.train(texts: corpus.reversed()).definition), first)
        var generator = SeededGenerator(seed: 11)
        XCTAssertEqual(TokenizerWriter.json(trainer.train(texts: corpus.shuffled(using: &generator)).definition), first)
    }

    func testSpecialTokensComeFirstAndAreCutOutOfTheTrainingText() throws {
        let texts = Array(repeating: "hello<|endoftext|>hello <|sep|> world", count: 20)
        let tokenizer = BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>", "<|sep|>"]).train(texts: texts)
        XCTAssertEqual(tokenizer.token(for: 0), "<|endoftext|>")
        XCTAssertEqual(tokenizer.token(for: 1), "<|sep|>")
        XCTAssertEqual(tokenizer.token(for: 2), "!", "the byte tokens follow in code-point order")
        XCTAssertEqual(tokenizer.token(for: 257), "Ń")
        let learned = (258..<tokenizer.vocabularySize).compactMap(tokenizer.token(for:))
        XCTAssertFalse(learned.isEmpty)
        XCTAssertFalse(learned.contains { $0.contains("|") }, "learned \(learned)")
        XCTAssertEqual(tokenizer.encode("hello<|sep|>"), [tokenizer.id(for: "hello")!, 1])
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode(texts[0])), texts[0])
    }

    func testTrainingStopsAtTheVocabularySizeOrWhenNoPairIsFrequentEnough() throws {
        let texts = ["abab abab abab", "cdcd"]
        let bounded = BPETrainer(vocabularySize: 257, minimumFrequency: 1, specialTokens: ["<s>"]).train(texts: texts)
        XCTAssertEqual(bounded.vocabularySize, 257)
        XCTAssertEqual(bounded.definition.model.merges.count, 0)
        let frequent = BPETrainer(vocabularySize: 1000, minimumFrequency: 3, specialTokens: []).train(texts: texts)
        // The pre-tokens are "abab", "Ġabab" twice and "cdcd": (a,b) occurs 6 times, then
        // (ab,ab) 3 times; (Ġ,abab) and (c,d) only twice.
        XCTAssertEqual((256..<frequent.vocabularySize).compactMap(frequent.token(for:)), ["ab", "abab"])
    }
}
