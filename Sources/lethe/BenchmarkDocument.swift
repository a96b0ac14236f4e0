import Foundation
import Model
import Unlearning

/// Where a benchmark's results go in the docs: its JSON report in `bench/`, its figure in
/// `img/`, and its Markdown section in `benchmarks.md`, which links the figure.
struct BenchmarkDocument {
    /// "bench-tofu": the file stem and the section's name.
    let name: String
    let markdown: String
    let figure: SVGFigure
    let json: String

    func write(into docs: URL) throws {
        let fileManager = FileManager.default
        for folder in ["img", "bench"] {
            try fileManager.createDirectory(at: docs.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try DurableFile.write(Array(json.utf8), to: docs.appendingPathComponent("bench/\(name).json"))
        try DurableFile.write(Array(figure.render().utf8), to: docs.appendingPathComponent("img/\(name).svg"))
        let section = markdown + "\n\n![\(name)](img/\(name).svg)\n\nThe whole report, every run included: [bench/\(name).json](bench/\(name).json).\n"
        try DocsSection.write(section, named: "lethe \(name.replacingOccurrences(of: "-", with: " "))",
                              into: docs.appendingPathComponent("benchmarks.md"))
    }

    /// A Markdown table: header, separator, rows.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        ([header, header.map { _ in "---" }] + rows).map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n")
    }

    static func learningRate(_ rate: Double) -> String { String(format: "%g", rate) }

    /// "β 0.1", or "–" for a method without a tuned constant.
    static func constant(_ method: UnlearningMethod, _ value: Float?) -> String {
        guard let name = method.constantName, let value else { return "–" }
        return "\(name) " + String(format: "%g", value)
    }

    static func budgetLine(_ budget: UnlearningBudget, retainItems: Int, utilityItems: Int) -> String {
        """
        Budget, the same for every method: \(budget.epochs) epochs over the forget set, each forget batch of \
        \(budget.forgetBatchSize) paired with a retain batch of \(budget.retainBatchSize) from \(retainItems) retain90 questions \
        (NLL retain term, λ = \(String(format: "%g", budget.retainWeight))), AdamW at a constant learning rate, weight decay 0.01, gradient clipping at 1. Model utility: \
        \(utilityItems) retain90 and \(utilityItems) general questions; forget quality against the retain model \
        (`Checkpoints/base/retain`, never trained on forget10).
        """
    }
}
