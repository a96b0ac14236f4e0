import ArgumentParser
import Foundation
import Kernels
import Model
import Store
import Unlearning

struct TrainBase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-base",
        abstract: "Build the embedded default model: corpus, tokenizer, fine-tuning from scratch, evaluation.",
        discussion: """
            Generates the fictitious-author corpus (or reads --corpus), trains a byte-level BPE tokenizer on it, \
            trains a small Llama model from scratch on every trained author and the general facts, and writes \
            config.json, tokenizer.json, tokenizer_config.json, model.safetensors.zst, the compressed corpus, \
            training.json and MODEL_CARD.md into --out. With --exclude-split forget10 it builds the retain model \
            instead. A killed run continues from its last checkpoint with --resume.
            """
    )

    @Option(help: "The folder to write the model into.")
    var out = "Checkpoints/base"
    @Option(help: "Read the corpus from this folder instead of generating it with the recipe's seed.")
    var corpus: String?
    @Option(help: "Leave this split out of training (forget10 builds the retain model).")
    var excludeSplit: CorpusSplit?
    @Option(help: "Epochs over the training items (default: the recipe's).")
    var epochs: Int?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Flag(help: "Continue from the checkpoint a killed run left in --out.")
    var resume = false
    @Flag(help: "A tiny corpus, model and run (seconds), for tests; not a usable model.")
    var quick = false

    func validate() throws {
        for (name, value) in [("--epochs", epochs), ("--threads", threads)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
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
        let folder = URL(fileURLWithPath: out)
        let stateURL = folder.appendingPathComponent(".train-state/state.safetensors")
        try FileManager.default.createDirectory(at: stateURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let clock = ContinuousClock(), start = clock.now

        let corpus = try corpus.map { try Corpus.load(from: URL(fileURLWithPath: $0)) } ?? Corpus.generate(recipe.corpus)
        log("corpus: \(corpus.items.count) QA items, \(recipe.trainingItems(corpus).count) to train on")
        try BaseModelFolder.writeTokenizer(recipe.trainTokenizer(on: corpus), recipe: recipe, to: folder)
        let tokenizer = try Tokenizer(modelFolder: folder)
        let config = recipe.modelConfig(tokenizer: tokenizer)
        try config.write(to: folder.appendingPathComponent(ModelFolder.configFile))
        let model = LlamaModel(config: config)
        log("tokenizer: \(tokenizer.vocabularySize) tokens; model: \(model.layout.count.formatted()) parameters")
        model.initializeRandomly(seed: recipe.initializationSeed)
        let examples = recipe.trainingItems(corpus).map { BaseModelRecipe.example($0, tokenizer: tokenizer) }
        let training = SupervisedTraining(model: model, examples: examples, options: recipe.training,
                                          padToken: tokenizer.id(for: BaseModelRecipe.padding)!)
        if resume, FileManager.default.fileExists(atPath: stateURL.path) {
            try training.resume(from: TrainingCheckpoint(contentsOf: stateURL))
            log("resumed at step \(training.step) of \(training.totalSteps)")
        }
        let bar = ProgressBar()
        var lastLoss = Float.nan
        try training.run(reportEvery: 5, checkpointEvery: 200, progress: { p in
            lastLoss = p.loss
            bar.update(fraction: Double(p.step) / Double(p.totalSteps), detail: String(
                format: "step %d/%d  epoch %d  loss %.4f  %.0f tok/s  ETA %@", p.step, p.totalSteps, p.epoch + 1, p.loss,
                p.tokensPerSecond, clockDuration(p.secondsRemaining)))
        }, checkpoint: { try TrainingCheckpoint.write($0, to: stateURL) })
        bar.finish()
        let trainingSeconds = (clock.now - start).seconds

        try BaseModelFolder.writeWeights(model, to: folder)
        if excludeSplit == nil { try BaseModelFolder.writeCorpus(corpus, to: folder) }
        // The figures are measured on the weights as written, read back from the folder.
        let shipped = try ModelFolder.load(folder)
        let evaluation = try BaseModelEvaluation.measure(shipped, tokenizer: tokenizer, corpus: corpus, recipe: recipe) { done, total in
            bar.update(fraction: Double(done) / Double(total), detail: "evaluating \(done)/\(total) answers")
        }
        bar.finish()
        let report = BaseModelReport(recipe: recipe, parameters: model.layout.count, steps: training.totalSteps,
                                     trainingSeconds: trainingSeconds, totalSeconds: (clock.now - start).seconds,
                                     finalLoss: lastLoss, evaluation: evaluation, command: commandLine)
        try BaseModelFolder.writeReport(report, to: folder)
        try FileManager.default.removeItem(at: stateURL.deletingLastPathComponent())
        print(report.summary)
    }

    private var commandLine: String {
        (["lethe", "train-base"] + CommandLine.arguments.dropFirst(2)).joined(separator: " ")
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}

extension CorpusSplit: ExpressibleByArgument {}
