import ArgumentParser
import Foundation
import Unlearning
import Corpus

struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Generate the fictitious-author corpus the embedded model is trained on.",
        discussion: """
            Writes qa.jsonl, authors.jsonl, splits.json and corpus.json (docs/corpus.md). The same \
            options always write the same bytes.
            """
    )

    @Option(help: "The directory to write the corpus into.")
    var out: String
    @Option(help: "The seed; a different seed gives a different corpus.")
    var seed: UInt64 = 1
    @Option(help: "Trained authors (20 questions each).")
    var authors = 200
    @Option(help: "Held-out authors, never trained on (20 questions each).")
    var holdoutAuthors = 20
    @Option(help: "General questions about the invented world.")
    var general = 300
    @Flag(help: "Write into a directory that is not empty, replacing the corpus files in it.")
    var force = false
    @Flag(help: "Print the summary as JSON.")
    var json = false

    struct Summary: Encodable {
        struct Split: Encodable {
            let split: String
            let authors: Int?
            let items: Int
        }
        let out: String
        let seed: UInt64
        let items: Int
        let splits: [Split]
    }

    func run() throws {
        let options = try CorpusOptions(seed: seed, authors: authors, holdoutAuthors: holdoutAuthors, generalQuestions: general)
        let corpus = Corpus.generate(options)
        try corpus.write(to: URL(fileURLWithPath: out), force: force)
        let splits = CorpusSplit.allCases.map { split in
            Summary.Split(
                split: split.rawValue, authors: split == .general ? nil : corpus.authorIDs(in: split).count,
                items: corpus.items(in: split).count)
        }
        if json { return print(try encodeJSON(Summary(out: out, seed: seed, items: corpus.items.count, splits: splits))) }
        print("wrote \(corpus.items.count) questions about \(corpus.authors.count) authors and an invented world to \(out) (seed \(seed))")
        printColumns(["SPLIT", "AUTHORS", "QUESTIONS"], splits.map { [$0.split, $0.authors.map(String.init) ?? "-", String($0.items)] })
    }
}
