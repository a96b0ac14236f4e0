import Foundation
import Unlearning
import Benchmarks

extension BenchmarkDocument {
    /// `lethe bench sequential`'s table (each method after each request) and its figure
    /// (model utility and cumulative forget quality over the requests).
    init(sequential report: SequentialBenchmark.Report, json: String) {
        let plan = report.plan
        var text = """
        \(Self.budgetLine(plan.budget, retainItems: plan.retainItems, utilityItems: plan.utilityItems)) \
        \(plan.split.rawValue) is cut by author into \(plan.requests) requests of \
        \(report.requestAuthors.map { String($0.count) }.joined(separator: ", ")) authors, applied in order, each update \
        starting from the previous one's result and using it as the reference. Each method uses the setting `lethe bench tofu` \
        chose for it; seeds \(plan.seeds.map(String.init).joined(separator: ", ")). Forget quality, forget ROUGE-L and MIA AUC \
        are measured on every question forgotten so far. Base model before any request: model utility \
        \(String(format: "%.3f", report.base.modelUtility)), forget quality on the whole split \(significant(report.base.forgetQuality)). \
        The whole run took \(clockDuration(report.seconds)).


        """
        var rows: [[String]] = []
        for selection in report.settings where plan.methods.contains(selection.method) {
            for step in 1...plan.requests {
                let runs = report.results.filter { $0.method == selection.method && $0.step == step }
                guard !runs.isEmpty else { continue }
                let authors = report.requestAuthors.prefix(step).reduce(0) { $0 + $1.count }
                rows.append([selection.method.rawValue, "\(step)", "\(authors)", Spread(runs.map(\.forgetQuality)).range(),
                             Spread(runs.map(\.modelUtility)).plusMinus(), Spread(runs.map(\.forgetRouge)).plusMinus(),
                             Spread(runs.map(\.miaAuc)).plusMinus(), Spread(runs.map(\.seconds)).plusMinus(1)])
            }
        }
        text += Self.table(["method", "step", "authors forgotten", "forget quality (cumulative)", "model utility",
                            "forget ROUGE-L", "MIA AUC", "seconds"], rows)

        func series(_ figure: (BenchmarkRun) -> Double, startingWith base: Double?) -> [SVGChart.Series] {
            report.settings.filter { plan.methods.contains($0.method) }.map { selection in
                var points = base.map { [SVGChart.Point(x: 0, y: $0)] } ?? []
                for step in 1...plan.requests {
                    let values = report.results.filter { $0.method == selection.method && $0.step == step }.map(figure)
                    if values.isEmpty { continue }
                    points.append(SVGChart.Point(x: Double(step), y: Spread(values).mean, yLow: values.min(), yHigh: values.max()))
                }
                return SVGChart.Series(name: selection.method.rawValue, points: points, connected: true)
            }
        }
        let steps = (0...plan.requests).map(Double.init)
        let labels = ["base"] + (1...plan.requests).map { "\($0)" }
        let charts = [
            SVGChart(title: "model utility after each request", xLabel: "requests applied", yLabel: "model utility",
                     series: series(\.modelUtility, startingWith: report.base.modelUtility), xTicks: steps, xTickLabels: labels),
            SVGChart(title: "forget quality of all requests so far", xLabel: "requests applied", yLabel: "forget quality (KS p-value)",
                     series: series(\.forgetQuality, startingWith: nil), logY: true, xRange: -0.2...Double(plan.requests) + 0.2,
                     xTicks: steps, xTickLabels: labels),
        ]
        self.init(name: "bench-sequential", markdown: text, figure: SVGFigure(charts: charts, columns: 2), json: json)
    }
}
