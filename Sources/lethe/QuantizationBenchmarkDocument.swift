import Foundation
import Unlearning
import Benchmarks

extension BenchmarkDocument {
    /// `lethe bench quantization`'s table (each model as each type serves it) and its figure
    /// (items still forgotten, and model utility, by served type).
    init(quantization report: QuantizationBenchmark.Report, json: String) {
        let plan = report.plan
        let types = Array(Set(report.rows.map(\.type))).sorted { a, b in
            report.rows.firstIndex { $0.type == a }! < report.rows.firstIndex { $0.type == b }!
        }
        var text = """
        \(Self.budgetLine(plan.budget, retainItems: plan.retainItems, utilityItems: plan.utilityItems)) \
        Each method unlearns all of \(plan.split.rawValue) (\(report.itemCount) questions) once, seed \(plan.seed), with the setting \
        `lethe bench tofu` chose for it; the version is then scored as it is (`f32`) and as each GGUF type would serve it: \
        every tensor quantised and dequantised as `llama-quantize` does, norms kept in F32, `q4_k_m` with its mix of Q4_K and \
        Q6_K. An item is forgotten when it meets the daemon gate's criteria (ROUGE-L recall ≤ \
        \(String(format: "%g", report.criteria.maxRougeLRecall)), the lesser of the whole answer's and of its words beyond the \
        question; p̄ ≤ \(String(format: "%g", report.criteria.maxProbabilityRatio)) × the base model's); *came back* counts \
        the items forgotten in `f32` that are not under the type. The base model's rows show what quantisation alone costs. \
        The whole run took \(clockDuration(report.seconds)).


        """
        let rows = report.rows.map { row in
            [row.method?.rawValue ?? "base model", row.type, "\(row.forgotten)", row.method == nil ? "–" : "\(row.cameBack)",
             significant(row.score.forgetQuality), String(format: "%.3f", row.score.modelUtility),
             String(format: "%.3f", row.score.forgetRouge), String(format: "%.3f", row.score.miaAuc)]
        }
        text += Self.table(["model", "served as", "forgotten (of \(report.itemCount))", "came back", "forget quality", "model utility",
                            "forget ROUGE-L", "MIA AUC"], rows)

        let positions = types.indices.map(Double.init)
        func series(_ figure: (QuantizationBenchmark.Row) -> Double) -> [SVGChart.Series] {
            let models = [nil] + plan.methods.map { Optional($0) }
            return models.map { method in
                let points = types.enumerated().compactMap { index, type in
                    report.rows.first { $0.method == method && $0.type == type }.map { SVGChart.Point(x: Double(index), y: figure($0)) }
                }
                return SVGChart.Series(name: method?.rawValue ?? "base model", points: points, connected: true)
            }
        }
        let xRange = -0.3...Double(types.count) - 0.7
        let charts = [
            SVGChart(title: "items forgotten, by served type", xLabel: "served as", yLabel: "forgotten (of \(report.itemCount))",
                     series: series { Double($0.forgotten) }.filter { $0.name != "base model" }, xRange: xRange, xTicks: positions,
                     xTickLabels: types),
            SVGChart(title: "model utility, by served type", xLabel: "served as", yLabel: "model utility",
                     series: series(\.score.modelUtility), xRange: xRange, xTicks: positions, xTickLabels: types),
        ]
        self.init(name: "bench-quantization", markdown: text, figure: SVGFigure(charts: charts, columns: 2), json: json)
    }
}
