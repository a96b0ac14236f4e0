import Foundation
import Unlearning
import Benchmarks

extension BenchmarkDocument {
    /// `lethe bench tofu`'s tables (setup, grid, results over seeds) and its figure (forget
    /// quality against model utility, one panel per split).
    init(tofu report: TofuBenchmark.Report, json: String) {
        let plan = report.plan
        let baseUtility = report.base.first { $0.split == plan.tuningSplit }?.score.modelUtility ?? 0
        let constants = plan.methods.compactMap { method in
            method.constantName.map { name in
                "\(method.rawValue) \(name) " + method.gridConstants.prefix(plan.grid.constantCount).map { String(format: "%g", $0) }.joined(separator: ", ")
            }
        }.joined(separator: "; ") + "; gradascent has none"
        var text = """
        \(Self.budgetLine(plan.budget, retainItems: plan.retainItems, utilityItems: plan.utilityItems))

        Grid, the same size for every method: learning rate \
        \(plan.grid.learningRates.map(Self.learningRate).joined(separator: ", ")) × the method's own constant \
        (\(constants)), the papers' values for the rest; run on \(plan.tuningSplit.rawValue) with seed \(plan.tuningSeed). Chosen: the highest forget quality among the \
        settings that keep model utility ≥ \(Int(plan.utilityFloor * 100)) % of the base model's \
        (\(String(format: "%.3f", baseUtility)) → floor \(String(format: "%.3f", plan.utilityFloor * baseUtility))); \
        the final runs use seeds \(plan.seeds.map(String.init).joined(separator: ", ")). The whole run took \
        \(clockDuration(report.seconds)).


        """
        text += "**Grid** (\(plan.tuningSplit.rawValue), seed \(plan.tuningSeed)):\n\n"
        text += Self.table(["method", "lr", "constant", "forget quality", "model utility", "forget ROUGE-L", "MIA AUC", "chosen"],
                           report.grid.map { run in
            let chosen = report.chosen.first { $0.method == run.method }
            let mark = chosen?.setting == run.setting ? (chosen!.keptUtility ? "✓" : "✓ (no setting kept the floor)") : ""
            return [run.method.rawValue, Self.learningRate(run.learningRate), Self.constant(run.method, run.constant),
                    significant(run.forgetQuality), String(format: "%.3f", run.modelUtility), String(format: "%.3f", run.forgetRouge),
                    String(format: "%.3f", run.miaAuc), mark]
        })
        text += "\n\n**Results** (mean over seeds \(plan.seeds.map(String.init).joined(separator: ", ")); forget quality as mean (min–max), "
        text += "the rest as mean ± standard deviation; seconds: the update alone):\n\n"
        var rows: [[String]] = []
        for split in plan.splits {
            if let base = report.base.first(where: { $0.split == split }) {
                rows.append(["base model, no update", split.rawValue, "–", significant(base.score.forgetQuality),
                             String(format: "%.3f", base.score.modelUtility), String(format: "%.3f", base.score.forgetRouge),
                             String(format: "%.3f (retain model %.3f)", base.score.miaAuc, base.score.retainModelMiaAuc), "–"])
            }
            for selection in report.chosen {
                let runs = report.results.filter { $0.split == split && $0.method == selection.method }
                guard !runs.isEmpty else { continue }
                rows.append([selection.method.rawValue, split.rawValue,
                             "\(Self.learningRate(selection.setting.learningRate)), \(Self.constant(selection.method, selection.setting.constant))",
                             Spread(runs.map(\.forgetQuality)).range(), Spread(runs.map(\.modelUtility)).plusMinus(),
                             Spread(runs.map(\.forgetRouge)).plusMinus(), Spread(runs.map(\.miaAuc)).plusMinus(),
                             Spread(runs.map(\.seconds)).plusMinus(1)])
            }
        }
        text += Self.table(["method", "split", "lr, constant", "forget quality", "model utility", "forget ROUGE-L", "MIA AUC", "seconds"], rows)

        let charts = plan.splits.map { split in
            var series = report.chosen.map { selection in
                let runs = report.results.filter { $0.split == split && $0.method == selection.method }
                let points = runs.isEmpty ? [] : [SVGChart.Point(
                    x: Spread(runs.map(\.modelUtility)).mean, y: Spread(runs.map(\.forgetQuality)).mean,
                    yLow: runs.map(\.forgetQuality).min(), yHigh: runs.map(\.forgetQuality).max())]
                return SVGChart.Series(name: selection.method.rawValue, points: points, connected: false)
            }
            if let base = report.base.first(where: { $0.split == split }) {
                series.append(SVGChart.Series(name: "base model", points: [SVGChart.Point(x: base.score.modelUtility, y: base.score.forgetQuality)],
                                              connected: false))
            }
            return SVGChart(title: split.rawValue, xLabel: "model utility", yLabel: "forget quality (KS p-value)", series: series,
                            logY: true, referenceLines: [SVGChart.ReferenceLine(axis: .x, value: plan.utilityFloor * baseUtility,
                                                                                label: "\(Int(plan.utilityFloor * 100)) % of base")])
        }
        self.init(name: "bench-tofu", markdown: text, figure: SVGFigure(charts: charts, columns: min(3, charts.count)), json: json)
    }
}
