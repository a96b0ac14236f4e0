import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import lethe

/// The figures `lethe bench` writes to docs/img: valid SVG, one legend for all panels, stable bytes.
final class SVGChartTests: XCTestCase {
    private func chart(_ title: String, _ series: [SVGChart.Series], logY: Bool = false) -> SVGChart {
        SVGChart(title: title, xLabel: "step", yLabel: "loss", series: series, logY: logY)
    }

    private func line(_ name: String, _ values: [(Double, Double)], connected: Bool = true) -> SVGChart.Series {
        SVGChart.Series(name: name, points: values.map { SVGChart.Point(x: $0.0, y: $0.1) }, connected: connected)
    }

    private func parsed(_ svg: String) throws -> XMLDocument {
        let document = try XMLDocument(xmlString: svg, options: [])
        XCTAssertEqual(document.rootElement()?.name, "svg")
        return document
    }

    private func texts(_ document: XMLDocument) throws -> [String] {
        try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
    }

    /// Fill colours of the marker groups inside each panel's clipped plot area, panel by panel.
    private func markerColours(_ document: XMLDocument) throws -> [[String]] {
        try document.nodes(forXPath: "//*[local-name()='g'][@clip-path]").map { plotArea in
            try plotArea.nodes(forXPath: "*[local-name()='g']/@fill").compactMap(\.stringValue)
        }
    }

    func testTheLegendListsEverySeriesOnceAndASeriesKeepsItsColourAcrossPanels() throws {
        let figure = SVGFigure(charts: [
            chart("forget", [line("ours", [(0, 1), (1, 0.5)]), line("baseline", [(0, 1), (1, 0.8)])]),
            chart("retain", [line("baseline", [(0, 0.9), (1, 0.7)]), line("gradient ascent", [(0, 2), (1, 3)])]),
        ])
        let document = try parsed(figure.render())
        let labels = try texts(document)
        for name in ["ours", "baseline", "gradient ascent"] {
            XCTAssertEqual(labels.filter { $0 == name }.count, 1, name)
        }
        let colours = try markerColours(document)
        XCTAssertEqual(colours.count, 2)
        XCTAssertEqual(colours[0][1], colours[1][0], "baseline")
        XCTAssertEqual(Set(colours.flatMap { $0 }).count, 3)
    }

    func testTextIsEscapedForXML() throws {
        let name = "a<b & \"c\" 'd'"
        let svg = SVGFigure(charts: [SVGChart(
            title: name, xLabel: name, yLabel: name, series: [line(name, [(0, 1)])],
            referenceLines: [.init(axis: .y, value: 1, label: name)])]).render()
        XCTAssertTrue(svg.contains("a&lt;b &amp; &quot;c&quot; &apos;d&apos;"))
        XCTAssertEqual(try texts(try parsed(svg)).filter { $0 == name }.count, 5)
    }

    func testALogAxisHasATickAtEveryPowerOfTenItSpans() throws {
        let series = line("loss", [(0, 1), (1, 1e-2), (2, 1e-5)])
        let labels = try texts(try parsed(SVGFigure(charts: [chart("log", [series], logY: true)]).render()))
        for decade in ["1e-05", "0.0001", "0.001", "0.01", "0.1", "1"] {
            XCTAssertTrue(labels.contains(decade), decade)
        }
    }

    func testNiceTicksUseShortLabels() throws {
        let labels = try texts(try parsed(SVGFigure(charts: [chart("linear", [line("s", [(0, 0.5), (10, 0.7)])])]).render()))
        XCTAssertTrue(labels.contains("0.55"))
        XCTAssertTrue(labels.contains("0"))
        XCTAssertFalse(labels.contains { $0.count > 5 && $0 != "linear" }, "\(labels)")
    }

    func testPointsThatAreNotFiniteAreSkipped() throws {
        let series = line("s", [(0, 1), (.nan, 2), (2, .infinity), (3, 4)])
        let svg = SVGFigure(charts: [chart("gaps", [series])]).render()
        let document = try parsed(svg)
        let polyline = try XCTUnwrap(try document.nodes(forXPath: "//*[local-name()='polyline']/@points").first?.stringValue)
        XCTAssertEqual(polyline.split(separator: " ").count, 2)
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='circle']").count, 2 + 1, "two points and the legend")
        XCTAssertFalse(svg.lowercased().contains("nan"))
        XCTAssertFalse(svg.lowercased().contains("inf"))
    }

    func testAChartWithoutDataOrWithOneXStillHasAxes() throws {
        let empty = chart("empty", [])
        let noPoints = chart("no points", [line("none", [])])
        let oneX = chart("one x", [line("flat", [(3, 1), (3, 2)], connected: false)])
        let document = try parsed(SVGFigure(charts: [oneX, empty, noPoints]).render())
        let frames = try document.nodes(forXPath: "//*[local-name()='rect'][@fill='none']")
        XCTAssertEqual(frames.count, 3)
        let xs = try document.nodes(forXPath: "//*[local-name()='g'][@clip-path]//*[local-name()='circle']/@cx")
            .compactMap { $0.stringValue.flatMap(Double.init) }
        XCTAssertEqual(xs.count, 2)
        XCTAssertEqual(Set(xs).count, 1)
        XCTAssertTrue(xs.allSatisfy { $0 > 0 && $0 < 360 }, "inside the panel: \(xs)")
    }

    func testTheSameInputGivesTheSameBytes() {
        func series(_ index: Int, panel: Int) -> SVGChart.Series {
            let values: [(Double, Double)] = (0..<5).map { step in
                (Double(step), 1 / (Double(step + panel + index) + 1.3))
            }
            return line("series \(index)", values)
        }
        func figure() -> SVGFigure {
            let charts = (0..<4).map { panel in
                chart("panel \(panel)", (0..<9).map { series($0, panel: panel) }, logY: panel.isMultiple(of: 2))
            }
            return SVGFigure(charts: charts, columns: 2)
        }
        let svg = figure().render()
        XCTAssertEqual(svg, figure().render())
        XCTAssertNil(svg.range(of: #"="[^"]*\.\d{3}"#, options: .regularExpression), "at most two decimals")
    }
}
