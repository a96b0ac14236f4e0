import Foundation
import XCTest
@testable import lethe

/// The pieces that write benchmark results into the docs: the spread over seeds and the
/// generated Markdown section.
final class BenchmarkDocumentTests: XCTestCase {
    func testSpreadGivesTheMeanTheSampleStandardDeviationAndTheRange() {
        let spread = Spread([1, 2, 6])
        XCTAssertEqual(spread.mean, 3)
        XCTAssertEqual(spread.standardDeviation, 7.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(spread.plusMinus(2), "3.00 ± 2.65")
        XCTAssertEqual(Spread([0.0041, 0.0123, 0.031]).range(), "0.0158 (0.0041–0.031)")
        XCTAssertEqual(Spread([5]).standardDeviation, 0)
        XCTAssertEqual(significant(1.234e-5), "1.23e-05")
    }

    func testASectionIsAppendedOnceAndThenReplacedInPlace() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("benchmarks.md")
        try "# Title\n\nBefore.\n".write(to: file, atomically: true, encoding: .utf8)
        try DocsSection.write("first table\n", named: "lethe bench x", into: file)
        var text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertEqual(text, "# Title\n\nBefore.\n\n<!-- BEGIN lethe bench x (generated; do not edit by hand) -->\nfirst table\n<!-- END lethe bench x -->\n")
        try (text + "\nAfter.\n").write(to: file, atomically: true, encoding: .utf8)
        try DocsSection.write("second table", named: "lethe bench x", into: file)
        try DocsSection.write("other", named: "lethe bench y", into: file)
        text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.contains("-->\nsecond table\n<!-- END lethe bench x -->\n\nAfter.\n"), text)
        XCTAssertFalse(text.contains("first table"))
        XCTAssertTrue(text.hasSuffix("<!-- BEGIN lethe bench y (generated; do not edit by hand) -->\nother\n<!-- END lethe bench y -->\n"), text)
    }

    func testASectionIsWrittenIntoAFileThatDoesNotExistYet() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("new.md")
        try DocsSection.write("table", named: "s", into: file)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "<!-- BEGIN s (generated; do not edit by hand) -->\ntable\n<!-- END s -->\n")
    }
}

/// `lethe bench daemon`'s table: a burst the utility budget stops fails hundreds of requests.
final class BenchDaemonTableTests: XCTestCase {
    private func failure(_ index: Int) -> BenchDaemon.Failure {
        BenchDaemon.Failure(request: "small-\(index)", question: "Q\(index)?", answer: "A\(index).", generated: " B\(index).",
                            attempts: ["job: ROUGE-L recall 0.90 (beyond the question 0.85), probability ratio 0.300"],
                            reason: "does not forget 1 item after 1 attempt (job)")
    }

    func testTheTableShowsTheFirstFailuresAndCountsTheRest() {
        let many = BenchDaemon.failureRows((0..<25).map(failure))
        XCTAssertEqual(many.count, BenchDaemon.failuresShown + 1)
        XCTAssertEqual(many.first?.1, "small-0: “Q0?” → “A0.”; last answer “ B0.”; job: ROUGE-L recall 0.90 (beyond the question 0.85), probability ratio 0.300; "
                       + "does not forget 1 item after 1 attempt (job)")
        XCTAssertTrue(many[BenchDaemon.failuresShown - 1].1.hasPrefix("small-\(BenchDaemon.failuresShown - 1):"))
        XCTAssertEqual(many.last?.1, "\(25 - BenchDaemon.failuresShown) more, each in the JSON report's bulk.failures")
        XCTAssertEqual(BenchDaemon.failureRows((0..<BenchDaemon.failuresShown).map(failure)).count, BenchDaemon.failuresShown,
                       "no count row when every failure is shown")
        XCTAssertTrue(BenchDaemon.failureRows([]).isEmpty)
    }
}
