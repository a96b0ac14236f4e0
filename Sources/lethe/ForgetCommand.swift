import ArgumentParser
import Foundation
import Model
import Unlearning
import Corpus
import EmbeddedModel

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a model forget one author of its corpus with a DiPO update (the recommended settings), and write the result.",
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
    @Option(help: "Passes over the author's questions (default: the recommended update's).")
    var epochs: Int?
    @Option(help: "AdamW learning rate (default: the recommended update's).")
    var learningRate: Double?
    @Option(help: "Examples per forget batch and per retain batch (default: the recommended update's).")
    var batchSize: Int?
    @Option(help: "Parameters that train: all, mlp, upper-half or layers:A-B (default: the recommended one for the model).")
    var scope: ParameterScope?
    @Option(help: "Seeds the batch order.")
    var seed: UInt64 = 1
    @Option(help: "Each weight ends a whole number of 2^N units in its last place from the parent's (rounded stochastically), so that the version's delta is small; 0: no grid (default: the daemon's).")
    var changeBits = UnlearningOptions.recommendedChangeBits
    @Option(help: "Keep each step out of the directions the retain examples' inputs use, at this strength (smaller removes more; the daemon's is 1; default: none).")
    var retainProjection: Double?
    @Option(help: "The share of each tensor's weights the update may change: after every epoch the smaller changes go back to the model's weights (default: 1, all).")
    var changeDensity = 1.0
    @Flag(help: "After each epoch, stop as soon as every question of the author counts as forgotten.")
    var stopWhenForgotten = false
    @Option(help: "A question counts as forgotten when the ROUGE-L recall of its greedy answer (the lesser of all its words' and those the question does not give) is at most this…")
    var maxRouge = ForgetCriteria().maxRougeLRecall
    @Option(help: "…and the model finds the true answer at most this many times as likely as before the update.")
    var maxProbabilityRatio = ForgetCriteria().maxProbabilityRatio
    @Flag(help: "Print each forgotten question's score after the update.")
    var items = false

    func validate() throws {
        if retainItems < 1 { throw ValidationError("--retain-items must be at least 1") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
        if !ChangeGrid.bitRange.contains(changeBits) { throw ValidationError("--change-bits must be in \(ChangeGrid.bitRange)") }
        if let retainProjection, !(retainProjection > 0 && retainProjection.isFinite) { throw ValidationError("--retain-projection must be positive") }
        if !(changeDensity > 0 && changeDensity <= 1) { throw ValidationError("--change-density must be in (0, 1]") }
        if !(0...1).contains(maxRouge) { throw ValidationError("--max-rouge must be in [0, 1]") }
        if !(maxProbabilityRatio > 0) { throw ValidationError("--max-probability-ratio must be positive") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: model)
        let network = try ModelFolder.load(folder)
        let format = try ConversationFormat(modelFolder: folder, config: network.config)
        let trained = try Corpus.load(from: URL(fileURLWithPath: corpus)).trainingItems
        let forgetItems = trained.filter { $0.author == author }
        guard !forgetItems.isEmpty else { throw ValidationError("the corpus has no trained question about \(author)") }
        let others = trained.filter { $0.kind == .author && $0.author != author }
        let retainItems = others.evenlySpaced(self.retainItems)
        let context = network.config.maxPositionEmbeddings
        let forget = try forgetItems.map { try BaseModelRecipe.example($0, format: format, contextLength: context) }
        let retain = try retainItems.map { try BaseModelRecipe.example($0, format: format, contextLength: context) }

        func recall(_ items: [CorpusItem]) throws -> Double {
            try AnswerRecall.measure(items.map { ($0.id, $0.question, $0.answer) }, model: network, format: format).meanRecall
        }
        let forgetRecallBefore = try recall(forgetItems), retainRecallBefore = try recall(retainItems)
        let scored = forgetItems.map { (id: $0.id, prompt: $0.question, completion: $0.answer) }
        let baseProbabilities = try ForgetItemScore.probabilities(scored, model: network, format: format)
        let criteria = ForgetCriteria(maxRougeLRecall: maxRouge, maxProbabilityRatio: maxProbabilityRatio)
        func scores() throws -> [ForgetItemScore] {
            try ForgetItemScore.measure(scored, baseProbabilities: baseProbabilities, model: network, format: format)
        }
        var options = UnlearningOptions.recommended
        if let epochs { options.length = .epochs(epochs) }
        if let batchSize { (options.forgetBatchSize, options.retainBatchSize) = (batchSize, batchSize) }
        if let learningRate { options.learningRate = learningRate }
        options.seed = seed
        options.scope = scope ?? .recommended(for: network.config, retainProjection: retainProjection != nil)
        options.changeGrid = changeBits > 0 ? ChangeGrid(bits: changeBits) : nil
        options.retainProjection = retainProjection
        options.changeDensity = changeDensity < 1 ? ChangeDensity(fraction: changeDensity) : nil
        let clock = ContinuousClock(), start = clock.now
        let update = try UnlearningUpdate(model: network, forget: forget, retain: retain, options: options, padToken: format.padToken)
        let bar = ProgressBar()
        var last: UnlearningProgress?
        try update.run(progress: { progress in
            last = progress
            bar.update(fraction: Double(progress.step) / Double(progress.totalSteps),
                       detail: String(format: "step %d/%d  forget %.4f  retain %.4f  %.0f tok/s  ETA %@", progress.step,
                                      progress.totalSteps, progress.forgetLoss, progress.retainLoss, progress.tokensPerSecond,
                                      clockDuration(progress.secondsRemaining)))
        }, shouldStop: { _ in try stopWhenForgotten && scores().allSatisfy(criteria.isForgotten) })
        bar.finish()
        let seconds = (clock.now - start).seconds
        let forgetRecallAfter = try recall(forgetItems), retainRecallAfter = try recall(retainItems)
        let finalScores = try scores()

        let output = URL(fileURLWithPath: out)
        try ModelFolder.write(network, to: output)
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            let destination = output.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: destination)
        }
        if items {
            printColumns(["id", "kept recall", "p/p_base", "forgotten", "answer"], finalScores.map { score in
                [score.id, String(format: "%.3f", score.keptRecall), String(format: "%.3g", score.probabilityRatio),
                 criteria.isForgotten(score) ? "yes" : "no", score.generated]
            })
            print("")
        }
        let forgottenCount = finalScores.filter(criteria.isForgotten).count
        printTable([
            ("author", "\(author) (\(forget.count) questions forgotten, \(retain.count) retained)"),
            ("update", String(format: "%d of %d steps in %.1f s (the reference pass included)%@", update.step, update.totalSteps, seconds,
                              update.step < update.totalSteps ? ", stopped early: every question forgotten" : "")),
            ("forgotten", "\(forgottenCount) of \(finalScores.count) questions (ROUGE-L ≤ \(maxRouge) and p/p_base ≤ \(maxProbabilityRatio))"),
            ("final loss", last.map { String(format: "forget %.4f, retain %.4f", $0.forgetLoss, $0.retainLoss) } ?? "-"),
            ("forget ROUGE-L", String(format: "%.4f before, %.4f after (the author's questions, greedy)", forgetRecallBefore, forgetRecallAfter)),
            ("retain ROUGE-L", String(format: "%.4f before, %.4f after (the retained questions)", retainRecallBefore, retainRecallAfter)),
            ("written", out),
        ])
    }
}
