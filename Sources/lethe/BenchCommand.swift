import ArgumentParser
import Foundation
import Kernels
import Store
import Unlearning

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Lethe's speed.",
        subcommands: [BenchTrain.self, BenchStore.self]
    )
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time full training steps (forward, backward, AdamW) on random tokens."
    )

    @Option(help: "Model shape: small or smol (SmolLM-135M).")
    var shape: TrainingBenchmark.Shape = .small
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
        let benchmark = TrainingBenchmark(shape: shape, batchSize: batch, length: seq, steps: steps)
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
            ("batch", "\(result.batch) × \(result.seq) tokens, \(result.threads) threads"),
            ("step", String(format: "%.1f ms", result.msPerStep)),
            ("throughput", String(format: "%.0f tokens/s", result.tokensPerS)),
            ("compute", String(format: "%.1f GFLOP/s", result.gflops)),
            ("sgemm peak", String(format: "%.1f GFLOP/s (%.0f%% reached)", result.sgemmPeakGflops, 100 * result.fractionOfPeak)),
            ("peak RSS", String(format: "%.0f MB", result.peakRssMb)),
            ("loss", String(format: "%.4f", result.finalLoss)),
        ]
        printTable(rows)
    }
}

extension TrainingBenchmark.Shape: ExpressibleByArgument {}

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
