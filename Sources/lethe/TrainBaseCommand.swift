import ArgumentParser
import Foundation
import Kernels
import Model
import Store
import Unlearning
import Corpus
import EmbeddedModel

struct TrainBase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-base",
        abstract: "Build the embedded default model: corpus, tokenizer, fine-tuning from scratch, evaluation.",
        discussion: """
            Generates the fictitious-author corpus (or reads --corpus), trains a byte-level BPE tokenizer on it, \
            trains a small Llama model from scratch on every trained author and the general facts, and writes \
            config.json, tokenizer.json, tokenizer_config.json, model.safetensors.zst, the compressed corpus, \
            training.json and MODEL_CARD.md into --out. With --exclude-split forget10 it builds the retain model \
            instead (default --out Checkpoints/base/retain). Work in progress lives in --out/.train-state; the \
            files in --out are replaced only when the run has finished, and a killed run continues from its last \
            checkpoint with --resume.
            """
    )

    @Option(help: "The folder to write the model into (default: Checkpoints/base, or Checkpoints/base/retain with --exclude-split).")
    var out: String?
    @Option(help: "Read the corpus from this folder instead of generating it with the recipe's seed.")
    var corpus: String?
    @Option(help: "Leave this forget split out of training: forget10 builds the retain model.")
    var excludeSplit: CorpusSplit?
    @Option(help: "Epochs over the training items (default: the recipe's).")
    var epochs: Int?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Flag(help: "Continue from the checkpoint a killed run left in --out/.train-state.")
    var resume = false
    @Flag(help: "A tiny corpus, model and run (seconds), for tests; not a usable model.")
    var quick = false

    func validate() throws {
        for (name, value) in [("--epochs", epochs), ("--threads", threads)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        if let excludeSplit, !CorpusSplit.forgetSplits.contains(excludeSplit) {
            throw ValidationError("--exclude-split must be a forget split (forget01, forget05, forget10), not \(excludeSplit.rawValue)")
        }
    }

    var recipe: BaseModelRecipe {
        var recipe = quick ? BaseModelRecipe.quick : BaseModelRecipe()
        recipe.excludedSplit = excludeSplit
        if let epochs { recipe.training.epochs = epochs }
        return recipe
    }

    func run() throws {
        if let threads { Parallelism.setThreadCount(threads) }
        let recipe = recipe
        let folder = URL(fileURLWithPath: out ?? (excludeSplit == nil ? "Checkpoints/base" : "Checkpoints/base/retain"))
        let staging = folder.appendingPathComponent(".train-state")
        let stateURL = staging.appendingPathComponent("state.safetensors")
        if !resume { try? FileManager.default.removeItem(at: staging) }
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        let clock = ContinuousClock(), start = clock.now

        let corpus = try corpus.map { try Corpus.load(from: URL(fileURLWithPath: $0)) } ?? Corpus.generate(recipe.corpus)
        log("corpus: \(corpus.items.count) QA items, \(recipe.trainingItems(corpus).count) to train on")
        try BaseModelFolder.writeTokenizer(recipe.trainTokenizer(on: corpus), recipe: recipe, to: staging)
        let tokenizer = try Tokenizer(modelFolder: staging)
        let config = recipe.modelConfig(tokenizer: tokenizer)
        try config.write(to: staging.appendingPathComponent(ModelFolder.configFile))
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: recipe.initializationSeed)
        log("tokenizer: \(tokenizer.vocabularySize) tokens; model: \(model.layout.count.formatted()) parameters")

        let format = BaseModelRecipe.format(tokenizer: tokenizer)
        let examples = try recipe.trainingItems(corpus).map { try BaseModelRecipe.example($0, format: format, contextLength: config.maxPositionEmbeddings) }
        let training = SupervisedTraining(model: model, examples: examples, options: recipe.training, padToken: format.padToken)
        if resume, FileManager.default.fileExists(atPath: stateURL.path) {
            try training.resume(from: TrainingCheckpoint(contentsOf: stateURL))
            log("resumed at step \(training.step) of \(training.totalSteps)")
        }
        let bar = ProgressBar()
        try training.run(reportEvery: 5, checkpointEvery: 200, progress: { p in
            bar.update(fraction: Double(p.step) / Double(p.totalSteps), detail: String(
                format: "step %d/%d  epoch %d  loss %.4f  %.0f tok/s  ETA %@", p.step, p.totalSteps, p.epoch + 1, p.loss,
                p.tokensPerSecond, clockDuration(p.secondsRemaining)))
        }, checkpoint: { try TrainingCheckpoint.write($0, to: stateURL) })
        bar.finish()

        try BaseModelFolder.writeWeights(model, to: staging)
        if excludeSplit == nil { try BaseModelFolder.writeCorpus(corpus, to: staging) }
        // The figures are measured on the weights as written, read back from the folder.
        let shipped = try ModelFolder.load(staging)
        let evaluation = try BaseModelEvaluation.measure(shipped, tokenizer: tokenizer, corpus: corpus, recipe: recipe) { done, total in
            bar.update(fraction: Double(done) / Double(total), detail: "evaluating \(done)/\(total) answers")
        }
        bar.finish()
        let report = BaseModelReport(
            recipe: recipe, corpus: corpus.manifest, trainedItems: examples.count, parameters: model.layout.count, steps: training.totalSteps,
            trainingSeconds: training.secondsTrained, totalSeconds: (clock.now - start).seconds,
            finalLoss: training.lastLoss, evaluation: evaluation, command: reproducingCommand, quick: quick)
        try BaseModelFolder.writeReport(report, to: staging)
        try BaseModelFolder.publish(staging, into: folder)
        print(report.summary)
    }

    /// The command that rebuilds this folder: the arguments that decide its content, shell-quoted.
    private var reproducingCommand: String {
        var arguments = ["lethe", "train-base"]
        if let out { arguments += ["--out", out] }
        if let corpus { arguments += ["--corpus", corpus] }
        if let excludeSplit { arguments += ["--exclude-split", excludeSplit.rawValue] }
        if let epochs { arguments += ["--epochs", String(epochs)] }
        if quick { arguments.append("--quick") }
        return arguments.map(shellQuoted).joined(separator: " ")
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}

/// `word` as a POSIX shell reads it back: unchanged when it is plainly safe, else single-quoted.
func shellQuoted(_ word: String) -> String {
    let safe = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:,+@%".unicodeScalars.contains($0) }
    return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

extension CorpusSplit: ExpressibleByArgument {}
