import ArgumentParser
import Foundation
import Model
import Unlearning

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a model forget one author of its corpus with a DiPO update, and write the result.",
        discussion: """
            The forget set is every question about the author; the retain set is questions about other \
            trained authors, spread over them. ROUGE-L recall of the model's greedy answers about the \
            author is measured before and after.
            """
    )

    @Option(help: "The model folder to update (config.json, tokenizer.json, model.safetensors[.zst]).")
    var model = "Checkpoints/base"
    @Option(help: "The corpus folder the model learned (lethe corpus output).")
    var corpus = "Checkpoints/base/corpus"
    @Option(help: "The author to forget, as in the corpus: author-017.")
    var author: String
    @Option(help: "Where to write the updated model folder.")
    var out: String
    @Option(help: "How many questions about other authors hold the rest of the model in place.")
    var retainItems = 40
    @Option(help: "Passes over the author's questions.")
    var epochs = 5
    @Option(help: "Peak AdamW learning rate.")
    var learningRate = 1e-4
    @Option(help: "Examples per forget batch and per retain batch.")
    var batchSize = 4
    @Option(help: "Seeds the batch order.")
    var seed: UInt64 = 1

    func validate() throws {
        if retainItems < 1 { throw ValidationError("--retain-items must be at least 1") }
        if epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: model)
        let network = try ModelFolder.load(folder)
        let tokenizer = try Tokenizer(modelFolder: folder), template = try PromptTemplate(modelFolder: folder)
        let items = try Corpus.load(from: URL(fileURLWithPath: corpus)).trainingItems
        let forgetItems = items.filter { $0.author == author }
        guard !forgetItems.isEmpty else { throw ValidationError("the corpus has no trained question about \(author)") }
        let others = items.filter { $0.kind == .author && $0.author != author }
        let retainItems = others.evenlySpaced(self.retainItems)
        let context = network.config.maxPositionEmbeddings
        let forget = try forgetItems.map { try BaseModelRecipe.example($0, tokenizer: tokenizer, contextLength: context) }
        let retain = try retainItems.map { try BaseModelRecipe.example($0, tokenizer: tokenizer, contextLength: context) }
        // Padding is masked out of attention and targets; any token id in the vocabulary does.
        let padToken = tokenizer.id(for: BaseModelRecipe.padding) ?? 0

        func recall(_ items: [CorpusItem]) throws -> Double {
            try AnswerRecall.measure(items.map { ($0.id, $0.question, $0.answer) }, model: network, tokenizer: tokenizer,
                                     template: template).meanRecall
        }
        let forgetRecallBefore = try recall(forgetItems), retainRecallBefore = try recall(retainItems)
        let options = UnlearningOptions(length: .epochs(epochs), forgetBatchSize: batchSize, retainBatchSize: batchSize,
                                        learningRate: learningRate, seed: seed)
        let clock = ContinuousClock(), start = clock.now
        let update = try UnlearningUpdate(model: network, forget: forget, retain: retain, options: options, padToken: padToken)
        let bar = ProgressBar()
        var last: UnlearningProgress?
        try update.run { progress in
            last = progress
            bar.update(fraction: Double(progress.step) / Double(progress.totalSteps),
                       detail: String(format: "step %d/%d  forget %.4f  retain %.4f  %.0f tok/s  ETA %@", progress.step,
                                      progress.totalSteps, progress.forgetLoss, progress.retainLoss, progress.tokensPerSecond,
                                      clockDuration(progress.secondsRemaining)))
        }
        bar.finish()
        let seconds = (clock.now - start).seconds
        let forgetRecallAfter = try recall(forgetItems), retainRecallAfter = try recall(retainItems)

        let output = URL(fileURLWithPath: out)
        try ModelFolder.write(network, to: output)
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            let destination = output.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: destination)
        }
        printTable([
            ("author", "\(author) (\(forget.count) questions forgotten, \(retain.count) retained)"),
            ("update", String(format: "%d steps in %.1f s (the reference pass included)", update.step, seconds)),
            ("final loss", last.map { String(format: "forget %.4f, retain %.4f", $0.forgetLoss, $0.retainLoss) } ?? "-"),
            ("forget ROUGE-L", String(format: "%.4f before, %.4f after (the author's questions, greedy)", forgetRecallBefore, forgetRecallAfter)),
            ("retain ROUGE-L", String(format: "%.4f before, %.4f after (the retained questions)", retainRecallBefore, retainRecallAfter)),
            ("written", out),
        ])
    }
}
