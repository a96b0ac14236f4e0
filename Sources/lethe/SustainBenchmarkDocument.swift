import Foundation
import Benchmarks

extension BenchmarkDocument {
    /// `lethe bench sustain`'s section: the setup, a row per full measure, the requests in
    /// summary, and the figure (utility, forget quality, MIA AUC and fluency over the requests).
    init(sustain report: BenchSustain.Report, json: String) {
        let plan = report.plan, forget10 = report.requests.filter { $0.split == "forget10" }.count
        let configuration = plan.daemonConfiguration.objectValue ?? [:]
        let settings = configuration.keys.filter { !["base_model", "corpus", "rescan_seconds"].contains($0) }.sorted()
        let table = Self.sustainMeasureTable(report)
        let summary = Self.sustainRequestSummary(report).map { "| \($0.0) | \($0.1) |" }.joined(separator: "\n")
        let text = """
            `lethe bench sustain\(plan.quick ? " --quick" : "") --requests \(plan.requests) --measure-every \(plan.measureEvery)` \
            on this machine (\(report.threads) cores): `lethe daemon` on a fresh store made from `\(plan.model)`, \
            \(settings.isEmpty ? "its default settings" : "its default settings but " + settings.map { "`\($0)`" }.joined(separator: ", ")); \
            \(plan.requests) requests of one author each (all the author's questions), handed in one after another, each answer awaited \
            before the next: the \(forget10) authors of forget10, then \(plan.requests - forget10) of retain90 in order. Every \
            \(plan.measureEvery) requests and after the last, HEAD measured whole: forget quality, MIA AUC (Min-K% against the held-out \
            authors), ROUGE-L recall and p̄ of the forget10 questions forgotten so far, and the fluency of its greedy answers to them \
            (p̄ of the answer's text under the base version; degenerate below \(significant(report.degenerateFluency))), each beside the \
            retain model's (`\(plan.retainModel)`, never trained on forget10) in parentheses; model utility as `lethe eval` measures it, \
            on \(plan.utilityItems) retain90 questions less those of the authors asked so far and \(plan.utilityItems) general \
            questions, ÷ the base version's; the gate's utility of HEAD ÷ the base version's, as the daemon measured them. The first \
            row is the base version on all of forget10. The whole run took \(clockDuration(report.seconds)).

            \(Self.table(table.header, table.rows))
            \(Self.sustainMedianAnswer(report).map { "\n" + $0 + "\n" } ?? "")
            | requests | |
            |---|---|
            \(summary)
            """
        self.init(name: "bench-sustain", markdown: text, figure: Self.sustainFigure(report), json: json)
    }

    /// A row per full measure, the base version's first.
    static func sustainMeasureTable(_ report: BenchSustain.Report) -> (header: [String], rows: [[String]]) {
        let base = report.base
        let baseGateUtility = report.measures.lazy.compactMap(\.gateBaseUtility).first
            ?? report.requests.lazy.compactMap { $0.number("base_utility") }.first
        func ratio(_ value: Double?, _ base: Double?) -> String {
            guard let value else { return "–" }
            return String(format: "%.4f", value) + (base.map { String(format: " (%.3f×)", value / $0) } ?? "")
        }
        func pair(_ value: Double?, _ retain: Double?, _ format: String) -> String {
            guard let value else { return "–" }
            return String(format: format, value) + (retain.map { " (" + String(format: format, $0) + ")" } ?? "")
        }
        func figures(_ f: SustainMeasure.Figures) -> [String] {
            [ratio(f.modelUtility, base.modelUtility), f.forgetQuality.map(significant) ?? "–", pair(f.miaAuc, f.retainModelMiaAuc, "%.3f"),
             pair(f.fluency, f.retainModelFluency, "%.3g"), pair(f.degenerateFraction.map { $0 * 100 }, f.retainModelDegenerateFraction.map { $0 * 100 }, "%.1f %%"),
             f.forgetRouge.map { String(format: "%.3f", $0) } ?? "–", f.forgetProbability.map { String(format: "%.3g", $0) } ?? "–"]
        }
        let header = ["after request", "HEAD", "applied", "forget10 items", "gate utility", "model utility", "forget quality",
                      "MIA AUC", "fluency", "degenerate", "ROUGE-L", "p̄", "version", "store"]
        let baseRow = ["base", "0", "–", "\(base.forgetItems)", ratio(baseGateUtility, baseGateUtility)] + figures(base) + ["", ""]
        return (header, [baseRow] + report.measures.map { measure in
            ["\(measure.afterRequest)", "\(measure.version)", "\(measure.applied)", "\(measure.figures.forgetItems)",
             ratio(measure.gateUtility, measure.gateBaseUtility)] + figures(measure.figures)
                + [humanBytes(measure.versionBytes), humanBytes(measure.storeBytes)]
        })
    }

    /// The last measure's forgotten answer of median fluency beside the retain model's, in a sentence.
    static func sustainMedianAnswer(_ report: BenchSustain.Report) -> String? {
        guard let measure = report.measures.last, let example = measure.figures.medianAnswer else { return nil }
        let shortened = { (text: String) in text.count > 160 ? text.prefix(160) + "…" : text }
        return "The forgotten answer of median fluency after request \(measure.afterRequest): “\(example.question)” → "
            + "“\(shortened(example.answer))” (\(significant(example.fluency))); the retain model's: “\(shortened(example.retainModelAnswer))” "
            + "(\(significant(example.retainModelFluency)))."
    }

    /// The requests in a few rows: how many were applied, how long they took, which failed and why.
    static func sustainRequestSummary(_ report: BenchSustain.Report) -> [(String, String)] {
        let requests = report.requests, applied = requests.filter { $0.status == "applied" }
        let seconds = requests.map(\.secondsToAnswer)
        func mean(_ key: String) -> Double {
            let values = requests.compactMap { $0.number(key) }
            return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        }
        let escalated = requests.filter { ($0.number("attempts") ?? 1) > 1 }
        var rows = [
            ("answered", "\(requests.count): \(applied.count) applied, \(requests.count - applied.count) failed"),
            ("seconds to answer", String(format: "mean %.1f (%.1f–%.1f); training %.1f and gate %.1f on average",
                                         seconds.reduce(0, +) / Double(max(1, seconds.count)), seconds.min() ?? .nan, seconds.max() ?? .nan,
                                         mean("train_seconds"), mean("gate_seconds"))),
            ("escalated", escalated.isEmpty ? "none: every answer came from the first attempt"
                : "\(escalated.count) took more than one attempt: " + escalated.map { "\($0.index) (\($0.metrics["escalation_step"]?.stringValue ?? "?"))" }.joined(separator: ", ")),
            ("measures", String(format: "%d, %.0f s in all", report.measures.count, report.measures.reduce(0) { $0 + $1.seconds })),
        ]
        rows += requests.filter { $0.status != "applied" }.map { request in
            ("failed", "\(request.index) (\(request.author), \(request.split)): \(request.error ?? request.status)")
        }
        return rows
    }

    /// Utility, forget quality, MIA AUC, fluency and the degenerate answers against the requests handed in.
    static func sustainFigure(_ report: BenchSustain.Report) -> SVGFigure {
        let measures = report.measures, base = report.base
        func series(_ name: String, _ values: [(Int, Double?)], baseValue: Double? = nil) -> SVGChart.Series {
            let points = (baseValue.map { [(0, $0)] } ?? []) + values.compactMap { x, y in y.map { (x, $0) } }
            return SVGChart.Series(name: name, points: points.map { SVGChart.Point(x: Double($0.0), y: $0.1) }, connected: true)
        }
        let gate = report.requests.filter { $0.status == "applied" }.map { request in
            (request.index, request.number("utility").flatMap { utility in request.number("base_utility").map { utility / $0 } })
        }
        let utility = measures.map { ($0.afterRequest, Optional($0.figures.modelUtility / base.modelUtility)) }
        let ratios = (gate + utility).compactMap(\.1)
        let requests = "requests handed in"
        return SVGFigure(charts: [
            SVGChart(title: "utility ÷ the base version's", xLabel: requests, yLabel: "utility ÷ base",
                     series: [series("gate utility", gate, baseValue: 1), series("model utility", utility, baseValue: 1)],
                     yRange: min(0.88, (ratios.min() ?? 1) - 0.01)...max(1.01, (ratios.max() ?? 1) + 0.01),
                     referenceLines: [SVGChart.ReferenceLine(axis: .y, value: 0.95, label: "0.95"),
                                      SVGChart.ReferenceLine(axis: .y, value: 0.9, label: "0.9")]),
            SVGChart(title: "forget quality (forget10 so far)", xLabel: requests, yLabel: "forget quality (KS p-value)",
                     series: [series("forget quality", measures.map { ($0.afterRequest, $0.figures.forgetQuality) })], logY: true),
            SVGChart(title: "MIA AUC (forget10 so far vs held out)", xLabel: requests, yLabel: "MIA AUC",
                     series: [series("version", measures.map { ($0.afterRequest, $0.figures.miaAuc) }),
                              series("retain model", measures.map { ($0.afterRequest, $0.figures.retainModelMiaAuc) })],
                     yRange: 0...1, referenceLines: [SVGChart.ReferenceLine(axis: .y, value: 0.5, label: "0.5")]),
            SVGChart(title: "fluency of the forgotten answers", xLabel: requests, yLabel: "mean p̄ under the base version",
                     series: [series("version", measures.map { ($0.afterRequest, $0.figures.fluency) }),
                              series("retain model", measures.map { ($0.afterRequest, $0.figures.retainModelFluency) })]),
            SVGChart(title: "degenerate forgotten answers", xLabel: requests,
                     yLabel: "fraction with p̄ < " + significant(SustainMeasure.degenerateFluency),
                     series: [series("version", measures.map { ($0.afterRequest, $0.figures.degenerateFraction) }),
                              series("retain model", measures.map { ($0.afterRequest, $0.figures.retainModelDegenerateFraction) })],
                     yRange: 0...1),
        ], columns: 3)
    }
}
