import ArgumentParser
import Foundation
import Model
import Unlearning

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how well a model answers a corpus split: ROUGE-L recall of its greedy answers.",
        discussion: "Each question is asked with the model's prompt template and answered greedily until EOS."
    )

    @OptionGroup var source: ModelSourceOptions
    @Option(help: "The corpus folder (lethe corpus output, plain or zstd-compressed JSONL).")
    var corpus = "Checkpoints/base/corpus"
    @Option(help: "The split to answer: \(CorpusSplit.allCases.map(\.rawValue).joined(separator: ", ")).")
    var split: CorpusSplit
    @Option(help: "Answer only the first N questions of the split.")
    var limit: Int?
    @Option(help: "Most tokens per answer.")
    var maxNewTokens = 64
    @Flag(help: "Print every question's answer and score.")
    var items = false
    @Flag(help: "Print the result as JSON (always with every item).")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
    }

    struct Result: Encodable {
        let model: String
        let split: String
        let items: Int
        let meanRougeLRecall: Double
        let seconds: Double
        let answers: [AnswerRecall.Item]
    }

    func run() throws {
        let clock = ContinuousClock(), start = clock.now
        let loaded = try source.load()
        let questions = Array(try Corpus.load(from: URL(fileURLWithPath: corpus)).items(in: split).prefix(limit ?? Int.max))
        let bar = json ? nil : ProgressBar()
        let recall = try AnswerRecall.measure(
            questions.map { ($0.id, $0.question, $0.answer) }, model: loaded.model, tokenizer: loaded.tokenizer(),
            template: loaded.promptTemplate(), maxNewTokens: maxNewTokens
        ) { bar?.update(fraction: Double($0) / Double(questions.count), detail: "\($0)/\(questions.count) answers") }
        bar?.finish()
        let result = Result(model: loaded.name, split: split.rawValue, items: questions.count, meanRougeLRecall: recall.meanRecall,
                            seconds: (clock.now - start).seconds, answers: recall.items)
        if json {
            print(try encodeJSON(result))
            return
        }
        if items {
            printColumns(["id", "recall", "answer"], recall.items.map { [$0.id, String(format: "%.3f", $0.recall), $0.generated] })
            print("")
        }
        printTable([
            ("model", loaded.name), ("split", "\(split.rawValue) (\(questions.count) questions)"),
            ("ROUGE-L recall", String(format: "%.4f (mean of greedy answers)", recall.meanRecall)),
            ("time", String(format: "%.1f s", result.seconds)),
        ])
    }
}
