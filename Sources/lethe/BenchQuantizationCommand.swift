import ArgumentParser
import Foundation
import Model
import Unlearning
import Benchmarks

struct BenchQuantization: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantization",
        abstract: "Unlearn forget10 with each method and count the forgotten items that come back as GGUF types serve the version.",
        discussion: """
            Each method uses the setting that `lethe bench tofu` chose for it, read from --settings. The version is scored \
            as it is (f32) and as each type holds it (every tensor quantised and dequantised as llama-quantize does); an \
            item counts as forgotten by the daemon gate's default criteria. --write-docs docs also writes docs/benchmarks.md's \
            section, docs/img/bench-quantization.svg and docs/bench/bench-quantization.json.
            """
    )

    @OptionGroup var options: UnlearningBenchmarkOptions
    @Option(help: "The TOFU benchmark's report, whose chosen settings each method uses.")
    var settings = "docs/bench/bench-tofu.json"
    @Option(help: "The served types besides f32, comma-separated (default: q8_0,q4_k_m,q4_0).")
    var types: String?

    func validate() throws {
        for name in types?.split(separator: ",") ?? [] where GGUFServedType(name: String(name)) == nil {
            throw ValidationError("--types: \(name) is not one of \(GGUFServedType.allCases.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        var plan = options.quick ? QuantizationBenchmark.Plan.quick : .standard
        if let types { plan.types = types.split(separator: ",").map(String.init) }
        let (benchmark, corpus, chosen) = try options.makeBenchmark(settingsPath: settings, plan: plan)
        let start = ContinuousClock.now
        let report = try QuantizationBenchmark(plan: plan, benchmark: benchmark, corpus: corpus, settings: chosen).run { row, done, total in
            options.logProgress(done, of: total, since: start, String(format: "%@ as %@: %d forgotten, %d came back, forget quality %@, utility %.3f",
                                                                    row.method?.rawValue ?? "base", row.type, row.forgotten, row.cameBack,
                                                                    significant(row.score.forgetQuality), row.score.modelUtility))
        }
        try options.finish(BenchmarkDocument(quantization: report, json: try encodeJSON(report)))
    }
}
