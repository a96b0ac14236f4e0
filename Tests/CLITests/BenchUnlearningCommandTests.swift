import Foundation
import XCTest

/// `lethe bench tofu --quick`, `lethe bench sequential --quick` and `lethe bench quantization --quick` through the real executable,
/// on the quick base model serving as its own retain model (so the base model's forget quality
/// is 1 and its MIA AUC the retain model's, to rounding).
final class BenchUnlearningCommandTests: XCTestCase {
    private let methods = ["dipo", "dipo-policy", "npo", "simnpo", "graddiff", "gradascent"]

    private func rows(_ report: [String: Any], _ key: String) throws -> [[String: Any]] {
        try XCTUnwrap(report[key] as? [[String: Any]], "no \(key) in \(report.keys)")
    }

    private func assertFigures(_ row: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws {
        for key in ["forget_quality", "model_utility", "forget_rouge", "mia_auc"] {
            let value = try XCTUnwrap(row[key] as? Double, "\(key) in \(row)", file: file, line: line)
            XCTAssertTrue((0...1).contains(value), "\(key) = \(value)", file: file, line: line)
        }
        XCTAssertGreaterThan(try XCTUnwrap(row["seconds"] as? Double, file: file, line: line), 0, file: file, line: line)
        XCTAssertNotNil(row["seed"] as? Int, file: file, line: line)
    }

    func testTofuThenSequentialRunEveryMethodAndWriteTheirDocs() throws {
        let model = try QuickBaseModel.folder().path
        let docs = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: docs) }
        try "# Benchmarks\n\nProse that stays.\n".write(to: docs.appendingPathComponent("benchmarks.md"), atomically: true, encoding: .utf8)

        let tofu = try LetheProcess.json(["bench", "tofu", "--quick", "--model", model, "--retain-model", model,
                                          "--write-docs", docs.path, "--json"])
        let results = try rows(tofu, "results"), grid = try rows(tofu, "grid"), chosen = try rows(tofu, "chosen")
        // Quick plan: one learning rate × each paper's constant on forget05, then forget10 with seeds 1 and 2.
        XCTAssertEqual(grid.count, methods.count)
        XCTAssertEqual(chosen.compactMap { $0["method"] as? String }, methods)
        XCTAssertEqual(results.count, methods.count * 2)
        XCTAssertEqual(Set(results.compactMap { $0["method"] as? String }), Set(methods))
        XCTAssertEqual(Set(results.compactMap { $0["split"] as? String }), ["forget10"])
        XCTAssertEqual(Set(results.compactMap { $0["seed"] as? Int }), [1, 2])
        XCTAssertTrue(grid.allSatisfy { $0["seed"] as? Int == 100 && $0["split"] as? String == "forget05" })
        for row in results + grid {
            try assertFigures(row)
            XCTAssertNil(row["step"])
        }
        // The base model against itself. Its two measurements of an item come from batches of
        // other lengths, so they agree only to rounding, which differs between CPUs: the truth
        // ratios interleave, D is 1/n, and its exact p-value 1 comes out of scipy's formula
        // (which Lethe follows) as 1 − 3e-16. 1e-9 admits only such near-identical samples; a
        // retain model measured on other items or another model gives p far below.
        for base in try rows(tofu, "base") {
            let score = try XCTUnwrap(base["score"] as? [String: Any])
            XCTAssertEqual(try XCTUnwrap(score["forget_quality"] as? Double), 1, accuracy: 1e-9, "the base model against itself")
            XCTAssertEqual(try XCTUnwrap(score["mia_auc"] as? Double), try XCTUnwrap(score["retain_model_mia_auc"] as? Double),
                           accuracy: 1e-9)
        }
        // Each chosen setting is one of the grid's settings for its method.
        for choice in chosen {
            let setting = try XCTUnwrap(choice["setting"] as? [String: Any])
            XCTAssertTrue(grid.contains { $0["method"] as? String == choice["method"] as? String
                    && $0["learning_rate"] as? Double == setting["learning_rate"] as? Double })
        }

        let markdown = try String(contentsOf: docs.appendingPathComponent("benchmarks.md"), encoding: .utf8)
        XCTAssertTrue(markdown.hasPrefix("# Benchmarks\n\nProse that stays.\n"))
        XCTAssertTrue(markdown.contains("<!-- BEGIN lethe bench tofu"), markdown)
        XCTAssertTrue(markdown.contains("| dipo | forget10 |"), markdown)
        XCTAssertTrue(markdown.contains("](img/bench-tofu.svg)"))
        let figure = try String(contentsOf: docs.appendingPathComponent("img/bench-tofu.svg"), encoding: .utf8)
        XCTAssertTrue(figure.hasPrefix("<svg") && figure.contains("dipo-policy"))

        let settings = docs.appendingPathComponent("bench/bench-tofu.json").path
        let sequential = try LetheProcess.json(["bench", "sequential", "--quick", "--model", model, "--retain-model", model,
                                                "--settings", settings, "--write-docs", docs.path, "--json"])
        let steps = try rows(sequential, "results")
        XCTAssertEqual(steps.count, methods.count * 2)
        for method in methods {
            XCTAssertEqual(steps.filter { $0["method"] as? String == method }.compactMap { $0["step"] as? Int }, [1, 2])
        }
        for row in steps { try assertFigures(row) }
        XCTAssertTrue(steps.allSatisfy { $0["seed"] as? Int == 1 })
        let both = try String(contentsOf: docs.appendingPathComponent("benchmarks.md"), encoding: .utf8)
        XCTAssertTrue(both.contains("<!-- BEGIN lethe bench tofu") && both.contains("<!-- BEGIN lethe bench sequential"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: docs.appendingPathComponent("img/bench-sequential.svg").path))

        // Quick plan: dipo and npo, then the base model and each version as f32, q8_0 and q4_0.
        let quantization = try LetheProcess.json(["bench", "quantization", "--quick", "--model", model, "--retain-model", model,
                                                  "--settings", settings, "--write-docs", docs.path, "--json"])
        let served = try rows(quantization, "rows")
        let itemCount = try XCTUnwrap(quantization["item_count"] as? Int)
        XCTAssertEqual(served.map { $0["method"] as? String ?? "base" }, ["base", "base", "base", "dipo", "dipo", "dipo", "npo", "npo", "npo"])
        XCTAssertEqual(served.compactMap { $0["type"] as? String }, Array(repeating: ["f32", "q8_0", "q4_0"], count: 3).flatMap { $0 })
        for row in served {
            let forgotten = try XCTUnwrap(row["forgotten"] as? Int), cameBack = try XCTUnwrap(row["came_back"] as? Int)
            XCTAssertTrue((0...itemCount).contains(forgotten) && (0...itemCount).contains(cameBack), "\(row)")
            if row["type"] as? String == "f32" { XCTAssertEqual(cameBack, 0, "the version itself loses nothing") }
            let score = try XCTUnwrap(row["score"] as? [String: Any])
            XCTAssertTrue((0...1).contains(try XCTUnwrap(score["model_utility"] as? Double)))
        }
        let all = try String(contentsOf: docs.appendingPathComponent("benchmarks.md"), encoding: .utf8)
        XCTAssertTrue(all.contains("<!-- BEGIN lethe bench quantization") && all.contains("| dipo | q4_0 |"), all)
        let refused = try LetheProcess.run(["bench", "quantization", "--quick", "--model", model, "--retain-model", model,
                                            "--settings", settings, "--types", "q3_k"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.standardError.contains("q3_k is not one of f32, f16, bf16, q8_0, q4_0, q4_k_m"), refused.standardError)
    }

    func testSequentialWithoutChosenSettingsNamesTheFile() throws {
        let model = try QuickBaseModel.folder().path
        let result = try LetheProcess.run(["bench", "sequential", "--quick", "--model", model, "--retain-model", model,
                                           "--settings", "/nonexistent/bench-tofu.json"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("/nonexistent/bench-tofu.json"), result.standardError)
    }

    func testARetainModelWithAnotherTokenizerIsRefused() throws {
        let model = try QuickBaseModel.folder()
        let other = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: other) }
        for name in try FileManager.default.contentsOfDirectory(atPath: model.path) where name != "corpus" {
            try FileManager.default.copyItem(at: model.appendingPathComponent(name), to: other.appendingPathComponent(name))
        }
        let tokenizer = other.appendingPathComponent("tokenizer.json")
        try (try String(contentsOf: tokenizer, encoding: .utf8) + "\n").write(to: tokenizer, atomically: true, encoding: .utf8)
        let result = try LetheProcess.run(["bench", "tofu", "--quick", "--model", model.path, "--retain-model", other.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("must share the base model's tokenizer"), result.standardError)
    }
}

extension BenchUnlearningCommandTests {
    func testTofuRunsAPartOverAScopeButDoesNotWriteItAsTheReport() throws {
        let model = try QuickBaseModel.folder().path
        let tofu = try LetheProcess.json(["bench", "tofu", "--quick", "--model", model, "--retain-model", model,
                                          "--methods", "dipo", "--splits", "forget10", "--scope", "upper-half",
                                          "--retain-weight", "3", "--retain-batch-size", "16", "--json"])
        let results = try XCTUnwrap(tofu["results"] as? [[String: Any]])
        XCTAssertEqual(Set(results.compactMap { $0["method"] as? String }), ["dipo"])
        XCTAssertEqual(Set(results.compactMap { $0["split"] as? String }), ["forget10"])
        let plan = try XCTUnwrap(tofu["plan"] as? [String: Any]), budget = try XCTUnwrap(plan["budget"] as? [String: Any])
        XCTAssertNotNil(budget["scope"], "the report says which parameters trained")
        XCTAssertEqual(budget["retain_weight"] as? Double, 3, "and how hard the retain term held")
        XCTAssertEqual(budget["retain_batch_size"] as? Int, 16)
        let negative = try LetheProcess.run(["bench", "tofu", "--quick", "--model", model, "--retain-weight=-1"])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.standardError.contains("--retain-weight must be a number ≥ 0"), negative.standardError)
        let refused = try LetheProcess.run(["bench", "tofu", "--quick", "--model", model, "--scope", "mlp", "--write-docs", "docs"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.standardError.contains("--write-docs writes the committed report"), refused.standardError)
    }
}
