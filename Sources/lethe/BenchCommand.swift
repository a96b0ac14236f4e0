import ArgumentParser
import Foundation
import Kernels
import Model
import Store
import Unlearning
import Benchmarks

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Lethe: its speed, and how well its unlearning works.",
        subcommands: [BenchTrain.self, BenchGenerate.self, BenchTokenize.self, BenchStore.self, BenchTofu.self, BenchSequential.self, BenchQuantization.self, BenchDaemon.self, BenchSustain.self]
    )
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training steps (forward, backward, AdamW over a parameter scope) on random tokens, and the memory they hold."
    )

    @Option(help: "Model shape: small, smol (SmolLM-135M; also smollm2-135m) or llama-3.2-1b (random weights).")
    var shape: TrainingBenchmark.Shape = .small
    @Option(help: "What a step does: nll (next-token training) or dipo (an unlearning step: DiPO forget batch + NLL retain batch).")
    var objective: TrainingBenchmark.Objective = .nll
    @Option(help: "Parameters that train: all, mlp, upper-half or layers:A-B (default: the update's default for the shape).")
    var scope: ParameterScope?
    @Option(help: "Sequences per batch (default: the shape's).")
    var batch: Int?
    @Option(help: "Tokens per sequence (default: the shape's).")
    var seq: Int?
    @Option(help: "Timed steps, after two warm-up steps (default: the shape's).")
    var steps: Int?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        for (name, value) in [("--batch", batch), ("--seq", seq), ("--steps", steps), ("--threads", threads)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
        }
    }

    func run() throws {
        if let threads { Parallelism.setThreadCount(threads) }
        let benchmark = TrainingBenchmark(shape: shape, objective: objective, scope: scope, batchSize: batch, length: seq, steps: steps)
        let result = try benchmark.run { done, total in
            if !json { FileHandle.standardError.write("\rstep \(done)/\(total)".data(using: .utf8)!) }
        }
        if json {
            print(try encodeJSON(result))
            return
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        let rows: [(String, String)] = [
            ("shape", "\(result.shape) (\(result.parameters.formatted()) parameters)"),
            ("step", "\(result.objective.rawValue), scope \(result.scope) (\(result.trainableParameters.formatted()) trainable)"),
            ("batch", "\(result.batch) × \(result.seq) tokens\(result.objective == .dipo ? ", forget and retain" : ""), \(result.threads) threads"),
            ("time", String(format: "%.1f ms/step", result.msPerStep)),
            ("throughput", String(format: "%.0f tokens/s", result.tokensPerS)),
            ("compute", String(format: "%.1f GFLOP/s", result.gflops)),
            ("sgemm peak", String(format: "%.1f GFLOP/s (%.0f%% reached)", result.sgemmPeakGflops, 100 * result.fractionOfPeak)),
            ("memory", String(format: "weights %.0f, gradients %.0f, AdamW %.0f, activations %.0f, reference %.0f MB",
                              result.weightsMb, result.gradientsMb, result.optimizerMb, result.activationsMb, result.referenceMb)),
            ("peak RSS", String(format: "%.0f MB", result.peakRssMb)),
            ("loss", String(format: "%.4f", result.finalLoss)),
        ]
        printTable(rows)
    }
}

extension TrainingBenchmark.Shape: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}
extension TrainingBenchmark.Objective: ExpressibleByArgument {}
extension ParameterScope: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Time prefill, decoding and sampling on random prompts.",
        discussion: {
            let c = GenerationBenchmark.defaultShape
            return "Without --model, randomly initialised weights: vocabulary \(c.vocabSize), hidden \(c.hiddenSize), "
                + "intermediate \(c.intermediateSize), \(c.layerCount) layers, \(c.headCount) heads, "
                + "\(c.keyValueHeadCount) key/value heads. Each figure is the median of several repetitions."
        }()
    )

    @Option(help: "A Hugging Face model folder to time instead of the random model (e.g. Checkpoints/base).")
    var model: String?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Option(help: "Short prompts answered one by one and batched (default: 64, 8 with --quick).")
    var batchPrompts: Int?
    @Flag(help: "A tiny model (unless --model) and few, short repetitions (seconds), for tests.")
    var quick = false
    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let batchPrompts, batchPrompts < 1 { throw ValidationError("--batch-prompts must be at least 1") }
    }

    func run() throws {
        if let threads { Parallelism.setThreadCount(threads) }
        var benchmark = GenerationBenchmark(modelFolder: model.map { URL(fileURLWithPath: $0) }, quick: quick)
        if let batchPrompts { benchmark.batchPrompts = batchPrompts }
        let result = try benchmark.run { done, total in
            if !json { FileHandle.standardError.write(Data("\rrepetition \(done)/\(total)".utf8)) }
        }
        if json { return print(try encodeJSON(result)) }
        FileHandle.standardError.write(Data("\n".utf8))
        let decodeEnd = { (prompt: Int) in prompt + result.decodedTokens }
        let sampling = GenerationBenchmark.sampling
        let rows: [(String, String)] = [
            ("model", "\(result.model) (\(result.parameters.formatted()) parameters)"),
            ("threads", "\(result.threads), OpenBLAS \(result.blasCore) kernels, median of \(result.repetitions)"),
            ("prefill \(result.shortPromptTokens) tokens", String(format: "%.2f ms", result.prefillShortMs)),
            ("prefill \(result.longPromptTokens) tokens", String(format: "%.2f ms", result.prefillLongMs)),
            ("decode, context \(result.shortPromptTokens)–\(decodeEnd(result.shortPromptTokens))",
             String(format: "%.3f ms/token", result.decodeShortMsPerToken)),
            ("decode, context \(result.longPromptTokens)–\(decodeEnd(result.longPromptTokens))",
             String(format: "%.3f ms/token", result.decodeLongMsPerToken)),
            ("sampling", String(format: "%+.4f ms/token over greedy (T %g, top-k %d, top-p %g)", result.samplingExtraMsPerToken,
                                Double(sampling.temperature), sampling.topK ?? 0, Double(sampling.topP ?? 1))),
            ("\(result.batchPrompts) prompts, one by one", String(format: "%.0f tokens/s (prompt and answer tokens)", result.oneByOneTokensPerSecond)),
            ("\(result.batchPrompts) prompts, batched", String(format: "%.0f tokens/s (%.1f× one by one)", result.batchedTokensPerSecond,
                                                              result.batchedTokensPerSecond / result.oneByOneTokensPerSecond)),
        ]
        printTable(rows)
    }
}

struct BenchStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure checkpoint object sizes and codec speeds on trained weights, beside zstd -3."
    )

    @Flag(help: "A tiny model and a few steps (seconds), for tests.")
    var quick = false
    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let result = try StoreBenchmark(quick: quick).run { line in
            if !json { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        }
        if json { return print(try encodeJSON(result)) }
        print("\(result.parameters.formatted()) parameters, \(result.pretrainSteps) pretraining steps, then \(result.updateSteps) AdamW steps at lr 1e-4")
        printColumns(["CASE", "RAW", "ZSTD -3", "FULL", "DELTA", "COMPRESS", "RESTORE"], result.cases.map { c in
            let m = c.measurement
            return [c.name, humanBytes(m.rawByteCount), humanBytes(m.zstdLevel3ByteCount),
                    String(format: "%@ (%.3f×)", humanBytes(m.fullByteCount), c.fullRatioVsZstd),
                    String(format: "%@ (%.3f×)", humanBytes(m.deltaByteCount), c.deltaRatioVsZstd),
                    String(format: "%.0f / %.0f MB/s", m.fullCompressMBPerSecond, m.deltaCompressMBPerSecond),
                    String(format: "%.0f / %.0f MB/s", m.fullRestoreMBPerSecond, m.deltaRestoreMBPerSecond)]
        })
        print(String(format: "an unchanged tensor costs %.0f bytes in a delta (full / delta speeds shown)", result.unchangedTensorBytes))
    }
}
