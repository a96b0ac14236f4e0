import Foundation
import XCTest

/// `lethe corpus`, `train-base`, `generate`, `eval` and `score --prompt` through the real
/// executable, on one quick base model built once for the whole class.
final class BaseModelCommandTests: XCTestCase {
    private func report(_ folder: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("training.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testTrainBaseWritesAModelFolderThatLoadsEverywhere() throws {
        let folder = try QuickBaseModel.folder()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(files, ["MODEL_CARD.md", "config.json", "corpus", "model.safetensors.zst", "tokenizer.json",
                               "tokenizer_config.json", "training.json"])
        let corpusFiles = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("corpus").path).sorted()
        XCTAssertEqual(corpusFiles, ["authors.jsonl.zst", "corpus.json", "qa.jsonl.zst", "splits.json"])
        let card = try String(contentsOf: folder.appendingPathComponent("MODEL_CARD.md"), encoding: .utf8)
        XCTAssertTrue(card.contains("lethe train-base --out \(folder.path) --quick"), card)
        // The folder opens as a store, whose version 0 is the shipped model.
        let store = folder.deletingLastPathComponent().appendingPathComponent("store")
        let created = try LetheProcess.run(["init", "--store", store.path, "--model", folder.path])
        XCTAssertEqual(created.status, 0, created.standardError)
    }

    func testEvalReproducesTheFiguresTrainBaseRecorded() throws {
        let folder = try QuickBaseModel.folder()
        let evaluation = try XCTUnwrap(try report(folder)["evaluation"] as? [String: [String: Any]])
        for (split, key) in [("forget10", "forget10"), ("general", "general"), ("holdout", "holdout")] {
            let result = try LetheProcess.json(["eval", "--model", folder.path, "--corpus", folder.appendingPathComponent("corpus").path,
                                                "--split", split, "--json"])
            let recorded = try XCTUnwrap(evaluation[key]?["mean_rouge_l_recall"] as? Double)
            XCTAssertEqual(try XCTUnwrap(result["mean_rouge_l_recall"] as? Double), recorded, accuracy: 1e-12, split)
            XCTAssertEqual((result["answers"] as? [Any])?.count, evaluation[key]?["items"] as? Int)
        }
        let unknown = try LetheProcess.run(["eval", "--model", folder.path, "--split", "forget99"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.standardError.contains("forget99"), unknown.standardError)
    }

    func testGenerateIsDeterministicAndHonoursStopStrings() throws {
        let folder = try QuickBaseModel.folder()
        let arguments = ["generate", "--model", folder.path, "--prompt", "Where was the author born?", "--max-new-tokens", "12", "--json"]
        let greedy = try LetheProcess.json(arguments)
        let greedyTokens = try XCTUnwrap(greedy["tokens"] as? [Int])
        XCTAssertEqual(try XCTUnwrap(try LetheProcess.json(arguments)["tokens"] as? [Int]), greedyTokens)
        XCTAssertEqual(greedy["prompt"] as? String, "Question: Where was the author born?\nAnswer:")
        XCTAssertEqual(greedy["stop"] as? String, greedyTokens.count == 12 ? "max_new_tokens" : "eos")
        let sampled = arguments + ["--temperature", "1.5", "--seed", "9"]
        XCTAssertEqual(try XCTUnwrap(try LetheProcess.json(sampled)["tokens"] as? [Int]),
                       try XCTUnwrap(try LetheProcess.json(sampled)["tokens"] as? [Int]))

        // A stop string taken from the middle of the greedy text ends the text just before its first occurrence.
        let text = try XCTUnwrap(greedy["text"] as? String)
        guard text.count >= 4 else { return XCTFail("greedy text too short to cut: \(text.debugDescription)") }
        let stop = String(text.dropFirst(text.count / 2).prefix(2))
        let stopped = try LetheProcess.json(arguments + ["--stop", stop])
        XCTAssertEqual(stopped["text"] as? String, String(text[..<text.range(of: stop)!.lowerBound]))
        XCTAssertEqual(stopped["stop"] as? String, "stop_string")
        // Streamed, the same text comes out, held back where it could start the stop string.
        let streamedStop = try LetheProcess.run(Array(arguments.dropLast()) + ["--stop", stop])
        XCTAssertEqual(streamedStop.standardOutput, (stopped["text"] as? String ?? "") + "\n")

        let streamed = try LetheProcess.run(Array(arguments.dropLast()))
        XCTAssertEqual(streamed.status, 0, streamed.standardError)
        XCTAssertEqual(streamed.standardOutput, text + "\n")

        let neither = try LetheProcess.run(["generate", "--prompt", "hello"])
        XCTAssertNotEqual(neither.status, 0)
        XCTAssertTrue(neither.standardError.contains("--model"), neither.standardError)
    }

    func testForgetWritesAnUpdatedModelFolder() throws {
        let folder = try QuickBaseModel.folder()
        let splits = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("corpus/splits.json")))
        let author = try XCTUnwrap(((splits as? [String: Any])?["forget10"] as? [String])?.first)
        let out = try temporaryDirectory().appendingPathComponent("forgot")
        let result = try LetheProcess.run(["forget", "--model", folder.path, "--corpus", folder.appendingPathComponent("corpus").path,
                                           "--author", author, "--out", out.path, "--epochs", "1", "--retain-items", "4"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("forget ROUGE-L"), result.standardOutput)
        // The written folder is a model folder the other commands read, with other weights than the base.
        let generated = try LetheProcess.json(["generate", "--model", out.path, "--prompt", "Who?", "--max-new-tokens", "3", "--json"])
        XCTAssertNotNil(generated["tokens"] as? [Int])
        let score = { (model: URL) throws -> Double in
            try XCTUnwrap(try LetheProcess.json(["score", "--model", model.path, "--ids", "0 5 9 13 7", "--json"])["mean_nll"] as? Double)
        }
        XCTAssertNotEqual(try score(out), try score(folder))
        let unknown = try LetheProcess.run(["forget", "--model", folder.path, "--corpus", folder.appendingPathComponent("corpus").path,
                                            "--author", "author-999", "--out", out.path])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.standardError.contains("author-999"), unknown.standardError)
    }

    func testForgetStopsEarlyOnceEveryQuestionMeetsTheCriteriaAndScoresEachQuestion() throws {
        let folder = try QuickBaseModel.folder()
        let corpus = folder.appendingPathComponent("corpus").path
        let out = try temporaryDirectory().appendingPathComponent("forgot")
        let arguments = ["forget", "--model", folder.path, "--corpus", corpus, "--author", "author-001", "--out", out.path,
                         "--epochs", "3", "--batch-size", "4", "--retain-items", "4", "--items"]
        // Criteria every answer meets: the first epoch (20 questions / batch 4 = 5 steps) is enough.
        let loose = try LetheProcess.run(arguments + ["--stop-when-forgotten", "--max-rouge", "1", "--max-probability-ratio", "1000"])
        XCTAssertEqual(loose.status, 0, loose.standardError)
        XCTAssertTrue(loose.standardOutput.contains("5 of 15 steps"), loose.standardOutput)
        XCTAssertTrue(loose.standardOutput.contains("stopped early"), loose.standardOutput)
        XCTAssertTrue(loose.standardOutput.contains("20 of 20 questions"), loose.standardOutput)
        XCTAssertTrue(loose.standardOutput.contains("author-001/birth_place"), "one row per question: \(loose.standardOutput)")
        // Criteria no answer can meet (recall ≤ 0 and p/p_base ≤ 1e-9): the update runs to the end.
        let strict = try LetheProcess.run(arguments + ["--stop-when-forgotten", "--max-rouge", "0", "--max-probability-ratio", "1e-9"])
        XCTAssertEqual(strict.status, 0, strict.standardError)
        XCTAssertTrue(strict.standardOutput.contains("15 of 15 steps"), strict.standardOutput)
        XCTAssertTrue(strict.standardOutput.contains("0 of 20 questions"), strict.standardOutput)
        let invalid = try LetheProcess.run(arguments + ["--max-rouge", "1.5"])
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue(invalid.standardError.contains("--max-rouge"), invalid.standardError)
    }

    func testTrainBaseRefusesASplitThatIsNotAForgetSplit() throws {
        let result = try LetheProcess.run(["train-base", "--quick", "--exclude-split", "retain90", "--out", "/nonexistent/never"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("forget split"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent/never"))
    }

    func testScoreOfACompletionEqualsScoreOfItsTokens() throws {
        let folder = try QuickBaseModel.folder()
        let byText = try LetheProcess.json(["score", "--model", folder.path, "--prompt", "Who wrote it?", "--completion", "Nobody.", "--json"])
        let ids = try XCTUnwrap(byText["ids"] as? [Int])
        let positions = try XCTUnwrap(byText["positions"] as? [[String: Any]])
        let first = try XCTUnwrap(positions.first?["position"] as? Int)
        // By ids, every position after the first is scored; the completion's are the last ones.
        let byIDs = try LetheProcess.json(["score", "--model", folder.path, "--ids", ids.map(String.init).joined(separator: " "), "--json"])
        let all = try XCTUnwrap(byIDs["positions"] as? [[String: Any]])
        for position in positions {
            let index = try XCTUnwrap(position["position"] as? Int)
            XCTAssertEqual(position["logprob"] as? Double ?? 0, all[index - 1]["logprob"] as? Double ?? 1, accuracy: 1e-5)
        }
        XCTAssertGreaterThan(first, 1)
        // The answer as training lays it out: " " + completion.
        XCTAssertEqual(positions.map { $0["text"] as? String ?? "" }.joined(), " Nobody.")
    }

    func testCorpusIsByteIdenticalForASeedAndRefusesToOverwrite() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func make(_ name: String, _ extra: [String] = []) throws -> Data {
            let out = directory.appendingPathComponent(name)
            let result = try LetheProcess.run(["corpus", "--out", out.path, "--authors", "6", "--holdout-authors", "2", "--general", "10"] + extra)
            XCTAssertEqual(result.status, 0, result.standardError)
            return try Data(contentsOf: out.appendingPathComponent("qa.jsonl"))
        }
        XCTAssertEqual(try make("a"), try make("b"))
        XCTAssertNotEqual(try make("c", ["--seed", "2"]), try make("d"))
        let again = try LetheProcess.run(["corpus", "--out", directory.appendingPathComponent("a").path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.standardError.contains("--force"), again.standardError)
    }
}
