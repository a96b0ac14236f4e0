import Foundation

/// One line or scatter plot for the docs figures. Written as plain SVG so the benches need no
/// plotting dependency and GitHub shows the file as it is.
struct SVGChart {
    struct Series {
        var name: String
        var points: [Point]
        /// True: a line through the points in order, with markers; false: markers only.
        var connected: Bool
    }

    struct Point {
        var x: Double
        var y: Double
        /// A vertical error bar, drawn when both ends are given.
        var yLow: Double? = nil
        var yHigh: Double? = nil
    }

    /// A dashed line at a fixed value with a short label, e.g. "90 % of base utility".
    struct ReferenceLine {
        enum Axis { case x, y }
        var axis: Axis
        var value: Double
        var label: String
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    /// log10 y axis; values ≤ 0 have no logarithm and sit on the axis bottom.
    var logY = false
    /// nil: the data's range with 5 % padding.
    var xRange: ClosedRange<Double>? = nil
    var yRange: ClosedRange<Double>? = nil
    /// nil: about five ticks at 1/2/5 × 10ⁿ steps.
    var xTicks: [Double]? = nil
    /// Labels for `xTicks`, in the same order.
    var xTickLabels: [String]? = nil
    var referenceLines: [ReferenceLine] = []
}

/// Charts in a grid of panels with one legend for all of them, so a series keeps its colour and
/// marker from panel to panel.
struct SVGFigure {
    var charts: [SVGChart]
    var columns: Int = 3
    var panelWidth = 360.0
    var panelHeight = 300.0

    /// The whole SVG document. The same input gives the same bytes, so regenerated figures only
    /// show up in a diff when the data changed.
    func render() -> String {
        let columnCount = max(1, min(columns, charts.count))
        let rowCount = (charts.count + columnCount - 1) / columnCount
        let styles = seriesStyles()
        let width = Double(columnCount) * panelWidth
        let legendRows = layOutLegend(styles, width: width)
        let legendHeight = legendRows.isEmpty ? 0 : Double(legendRows.count) * legendRowHeight + 12
        let height = Double(rowCount) * panelHeight + legendHeight

        var lines = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" "
                + "viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" "
                + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
        ]
        let styleByName = Dictionary(uniqueKeysWithValues: styles.map { ($0.name, $0) })
        for (index, chart) in charts.enumerated() {
            let originX = Double(index % columnCount) * panelWidth
            let originY = Double(index / columnCount) * panelHeight
            lines.append("<g transform=\"translate(\(svgNumber(originX)),\(svgNumber(originY)))\">")
            lines += chart.panel(width: panelWidth, height: panelHeight, clipID: "plot-area-\(index)", styles: styleByName)
            lines.append("</g>")
        }
        lines += legend(legendRows, top: Double(rowCount) * panelHeight + 6, width: width)
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Colour and marker by series name, in order of first appearance across the figure.
    private func seriesStyles() -> [SeriesStyle] {
        var styles: [SeriesStyle] = []
        for series in charts.flatMap(\.series) {
            if let index = styles.firstIndex(where: { $0.name == series.name }) {
                styles[index].connected = styles[index].connected || series.connected
            } else {
                styles.append(SeriesStyle(
                    name: series.name,
                    colour: okabeItoPalette[styles.count % okabeItoPalette.count],
                    shape: MarkerShape.allCases[styles.count % MarkerShape.allCases.count],
                    connected: series.connected))
            }
        }
        return styles
    }

    private let legendRowHeight = 20.0
    private let legendSwatchWidth = 26.0
    private let legendEntryGap = 20.0

    /// Width of a legend entry; text width is estimated, as SVG has no text measuring.
    private func legendEntryWidth(_ style: SeriesStyle) -> Double {
        legendSwatchWidth + 6 + Double(style.name.count) * 6.8
    }

    /// Entries filled into rows left to right, wrapping when a row would overflow the figure.
    private func layOutLegend(_ styles: [SeriesStyle], width: Double) -> [[SeriesStyle]] {
        var rows: [[SeriesStyle]] = []
        var rowWidth = 0.0
        for style in styles {
            let entryWidth = legendEntryWidth(style)
            if let last = rows.indices.last, rowWidth + legendEntryGap + entryWidth <= width - 20 {
                rows[last].append(style)
                rowWidth += legendEntryGap + entryWidth
            } else {
                rows.append([style])
                rowWidth = entryWidth
            }
        }
        return rows
    }

    private func legend(_ rows: [[SeriesStyle]], top: Double, width: Double) -> [String] {
        var lines: [String] = []
        for (rowIndex, row) in rows.enumerated() {
            let rowWidth = row.map(legendEntryWidth).reduce(0, +) + Double(row.count - 1) * legendEntryGap
            var x = (width - rowWidth) / 2
            let y = top + (Double(rowIndex) + 0.5) * legendRowHeight
            for style in row {
                let swatchMiddle = x + legendSwatchWidth / 2
                if style.connected {
                    lines.append("<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(x + legendSwatchWidth))\" "
                        + "y2=\"\(svgNumber(y))\" stroke=\"\(style.colour)\" stroke-width=\"1.8\"/>")
                }
                lines.append("<g fill=\"\(style.colour)\" stroke=\"#ffffff\" stroke-width=\"0.8\">"
                    + style.shape.svg(x: swatchMiddle, y: y) + "</g>")
                lines.append("<text x=\"\(svgNumber(x + legendSwatchWidth + 6))\" y=\"\(svgNumber(y + 4))\" fill=\"#222222\">"
                    + escapedXML(style.name) + "</text>")
                x += legendEntryWidth(style) + legendEntryGap
            }
        }
        return lines
    }
}

private struct SeriesStyle {
    var name: String
    var colour: String
    var shape: MarkerShape
    /// Whether any chart draws this series as a line, so the legend shows the line too.
    var connected: Bool
}

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies; yellow last,
/// as it is faint on white.
private let okabeItoPalette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

/// Marker shapes, so series stay apart in greyscale print too.
private enum MarkerShape: CaseIterable {
    case circle, square, triangle, diamond, triangleDown

    func svg(x: Double, y: Double) -> String {
        switch self {
        case .circle:
            return "<circle cx=\"\(svgNumber(x))\" cy=\"\(svgNumber(y))\" r=\"3.5\"/>"
        case .square:
            return "<rect x=\"\(svgNumber(x - 3.1))\" y=\"\(svgNumber(y - 3.1))\" width=\"6.2\" height=\"6.2\"/>"
        case .triangle:
            return polygon([(x, y - 4.2), (x + 4, y + 2.8), (x - 4, y + 2.8)])
        case .diamond:
            return polygon([(x, y - 4.4), (x + 4.4, y), (x, y + 4.4), (x - 4.4, y)])
        case .triangleDown:
            return polygon([(x, y + 4.2), (x + 4, y - 2.8), (x - 4, y - 2.8)])
        }
    }

    private func polygon(_ corners: [(Double, Double)]) -> String {
        "<polygon points=\"" + corners.map { "\(svgNumber($0.0)),\(svgNumber($0.1))" }.joined(separator: " ") + "\"/>"
    }
}

extension SVGChart {
    private static let marginLeft = 70.0
    private static let marginRight = 14.0
    private static let marginTop = 32.0
    private static let marginBottom = 46.0
    /// A white outline behind reference labels keeps them readable where they cross the data.
    private static let labelHalo = "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\""

    /// One panel with its top left corner at the origin.
    fileprivate func panel(width: Double, height: Double, clipID: String, styles: [String: SeriesStyle]) -> [String] {
        let left = Self.marginLeft, right = width - Self.marginRight
        let top = Self.marginTop, bottom = height - Self.marginBottom
        let xScale = AxisScale(range: xAxisRange(), logarithmic: false, pixels: (left, right))
        let yScale = AxisScale(range: yAxisRange(), logarithmic: logY, pixels: (bottom, top))

        var lines = [
            "<clipPath id=\"\(clipID)\"><rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(top))\" "
                + "width=\"\(svgNumber(right - left))\" height=\"\(svgNumber(bottom - top))\"/></clipPath>",
            "<text x=\"\(svgNumber((left + right) / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"13\" "
                + "font-weight=\"600\" fill=\"#222222\">\(escapedXML(title))</text>",
        ]
        for (value, label) in xTickMarks(xScale) {
            let x = xScale.pixel(value)
            lines.append("<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(top))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(bottom))\" "
                + "stroke=\"#e5e5e5\"/>")
            lines.append("<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(bottom + 17))\" text-anchor=\"middle\" fill=\"#444444\">"
                + escapedXML(label) + "</text>")
        }
        let yTicks = logY ? logTicks(yScale) : niceTicks(yScale)
        for value in yTicks {
            let y = yScale.pixel(value)
            lines.append("<line x1=\"\(svgNumber(left))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(right))\" y2=\"\(svgNumber(y))\" "
                + "stroke=\"#e5e5e5\"/>")
            lines.append("<text x=\"\(svgNumber(left - 6))\" y=\"\(svgNumber(y + 4))\" text-anchor=\"end\" fill=\"#444444\">"
                + tickLabel(value) + "</text>")
        }
        lines.append("<rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(right - left))\" "
            + "height=\"\(svgNumber(bottom - top))\" fill=\"none\" stroke=\"#999999\"/>")
        lines.append("<text x=\"\(svgNumber((left + right) / 2))\" y=\"\(svgNumber(height - 10))\" text-anchor=\"middle\" "
            + "fill=\"#222222\">\(escapedXML(xLabel))</text>")
        lines.append("<text transform=\"translate(18,\(svgNumber((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" "
            + "fill=\"#222222\">\(escapedXML(yLabel))</text>")

        lines += referenceLineElements(xScale: xScale, yScale: yScale, plot: (left, right, top, bottom))
        lines.append("<g clip-path=\"url(#\(clipID))\">")
        for series in series {
            guard let style = styles[series.name] else { continue }
            lines += seriesElements(series, style: style, xScale: xScale, yScale: yScale)
        }
        lines.append("</g>")
        return lines
    }

    private func seriesElements(_ series: Series, style: SeriesStyle, xScale: AxisScale, yScale: AxisScale) -> [String] {
        let points = series.points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !points.isEmpty else { return [] }
        var lines: [String] = []
        if series.connected, points.count > 1 {
            let coordinates = points.map { "\(svgNumber(xScale.pixel($0.x))),\(svgNumber(yScale.pixel($0.y)))" }
            lines.append("<polyline points=\"\(coordinates.joined(separator: " "))\" fill=\"none\" stroke=\"\(style.colour)\" "
                + "stroke-width=\"1.8\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
        }
        for point in points {
            guard let low = point.yLow, let high = point.yHigh, low.isFinite, high.isFinite else { continue }
            let x = xScale.pixel(point.x), yLow = yScale.pixel(low), yHigh = yScale.pixel(high)
            lines.append("<path d=\"M\(svgNumber(x)),\(svgNumber(yLow))V\(svgNumber(yHigh))"
                + "M\(svgNumber(x - 3)),\(svgNumber(yLow))h6M\(svgNumber(x - 3)),\(svgNumber(yHigh))h6\" "
                + "stroke=\"\(style.colour)\" stroke-width=\"1.2\" fill=\"none\"/>")
        }
        let markers = points.map { style.shape.svg(x: xScale.pixel($0.x), y: yScale.pixel($0.y)) }
        lines.append("<g fill=\"\(style.colour)\" stroke=\"#ffffff\" stroke-width=\"0.8\">" + markers.joined() + "</g>")
        return lines
    }

    private func referenceLineElements(
        xScale: AxisScale, yScale: AxisScale, plot: (left: Double, right: Double, top: Double, bottom: Double)
    ) -> [String] {
        var lines: [String] = []
        for line in referenceLines {
            let scale = line.axis == .x ? xScale : yScale
            guard scale.shows(line.value) else { continue }
            let position = scale.pixel(line.value)
            let style = "stroke=\"#777777\" stroke-width=\"1\" stroke-dasharray=\"5 4\""
            let label = escapedXML(line.label)
            switch line.axis {
            case .x:
                lines.append("<line x1=\"\(svgNumber(position))\" y1=\"\(svgNumber(plot.top))\" x2=\"\(svgNumber(position))\" "
                    + "y2=\"\(svgNumber(plot.bottom))\" \(style)/>")
                lines.append("<text x=\"\(svgNumber(position + 4))\" y=\"\(svgNumber(plot.top + 13))\" font-size=\"11\" "
                    + "fill=\"#555555\" \(Self.labelHalo)>\(label)</text>")
            case .y:
                lines.append("<line x1=\"\(svgNumber(plot.left))\" y1=\"\(svgNumber(position))\" x2=\"\(svgNumber(plot.right))\" "
                    + "y2=\"\(svgNumber(position))\" \(style)/>")
                lines.append("<text x=\"\(svgNumber(plot.right - 4))\" y=\"\(svgNumber(position - 4))\" text-anchor=\"end\" "
                    + "font-size=\"11\" fill=\"#555555\" \(Self.labelHalo)>\(label)</text>")
            }
        }
        return lines
    }

    private var finitePoints: [Point] {
        series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    }

    private func xAxisRange() -> (lower: Double, upper: Double) {
        axisRange(values: finitePoints.map(\.x), given: xRange)
    }

    /// In log10 units when `logY`; only positive values have a place on a log axis.
    private func yAxisRange() -> (lower: Double, upper: Double) {
        let values = finitePoints.flatMap { [$0.y, $0.yLow, $0.yHigh].compactMap { $0 } }.filter(\.isFinite)
        guard logY else { return axisRange(values: values, given: yRange) }
        let exponents = values.filter { $0 > 0 }.map(log10)
        let fromData = axisRange(values: exponents, given: nil)
        guard let yRange else { return fromData }
        let lower = yRange.lowerBound > 0 ? log10(yRange.lowerBound) : fromData.lower
        let upper = yRange.upperBound > 0 ? log10(yRange.upperBound) : fromData.upper
        return axisRange(values: [], given: min(lower, upper)...max(lower, upper))
    }

    private func xTickMarks(_ scale: AxisScale) -> [(value: Double, label: String)] {
        guard let xTicks else { return niceTicks(scale).map { ($0, tickLabel($0)) } }
        let labels = xTickLabels.flatMap { $0.count == xTicks.count ? $0 : nil } ?? xTicks.map(tickLabel)
        return zip(xTicks, labels).filter { $0.0.isFinite && scale.shows($0.0) }.map { ($0.0, $0.1) }
    }
}

/// Maps values on one axis to pixels; `lower` and `upper` are log10 of the values on a log axis.
private struct AxisScale {
    var lower: Double
    var upper: Double
    var logarithmic: Bool
    var pixelLower: Double
    var pixelUpper: Double

    init(range: (lower: Double, upper: Double), logarithmic: Bool, pixels: (Double, Double)) {
        (lower, upper) = range
        self.logarithmic = logarithmic
        (pixelLower, pixelUpper) = pixels
    }

    /// Clamped far outside the panel so wild values still print as short numbers; the clip
    /// path hides them anyway.
    func pixel(_ value: Double) -> Double {
        let axisValue = logarithmic ? (value > 0 ? log10(value) : lower) : value
        let pixel = pixelLower + (axisValue - lower) / (upper - lower) * (pixelUpper - pixelLower)
        return min(max(pixel, -10_000), 10_000)
    }

    func shows(_ value: Double) -> Bool {
        let axisValue = logarithmic ? (value > 0 ? log10(value) : -.infinity) : value
        let slack = (upper - lower) * 1e-9
        return axisValue >= lower - slack && axisValue <= upper + slack
    }
}

/// The given range, else the values' with 5 % padding; widened when it has no width, so every
/// value has a place.
private func axisRange(values: [Double], given: ClosedRange<Double>?) -> (lower: Double, upper: Double) {
    var lower: Double, upper: Double
    if let given, given.lowerBound.isFinite, given.upperBound.isFinite {
        (lower, upper) = (given.lowerBound, given.upperBound)
    } else if let smallest = values.min(), let largest = values.max() {
        let padding = (largest - smallest) * 0.05
        (lower, upper) = (smallest - padding, largest + padding)
    } else {
        (lower, upper) = (0, 1)
    }
    if upper - lower <= abs(upper) * 1e-12 {
        let halfWidth = max(abs(lower) * 0.1, 0.5)
        (lower, upper) = (lower - halfWidth, upper + halfWidth)
    }
    return (lower, upper)
}

/// About five ticks at a 1, 2 or 5 × 10ⁿ step, so labels stay short.
private func niceTicks(_ scale: AxisScale) -> [Double] {
    let lower = scale.logarithmic ? pow(10, scale.lower) : scale.lower
    let upper = scale.logarithmic ? pow(10, scale.upper) : scale.upper
    let roughStep = (upper - lower) / 5
    let magnitude = pow(10, (log10(roughStep)).rounded(.down))
    let step = magnitude * [1.0, 2, 5, 10].first { roughStep / magnitude <= $0 * 1.5 }!
    // Whole multiples of the step, so 0 is exactly 0 rather than a rounding residue.
    let first = (lower / step).rounded(.up), last = (upper / step).rounded(.down)
    guard first <= last else { return [] }
    return stride(from: first, through: last, by: 1).map { $0 * step }.filter { !scale.logarithmic || $0 > 0 }
}

/// Powers of ten, thinned to at most about seven; a range within one decade gets linear steps instead.
private func logTicks(_ scale: AxisScale) -> [Double] {
    let first = scale.lower.rounded(.up), last = scale.upper.rounded(.down)
    guard last - first >= 1 else { return niceTicks(scale) }
    let every = max(1, ((last - first) / 6).rounded(.up))
    return stride(from: first, through: last, by: every).map { pow(10, $0) }
}

/// Shortest readable form: 0.5, 0.55, 1e-05, 2000; never "-0".
private func tickLabel(_ value: Double) -> String {
    value == 0 ? "0" : String(format: "%g", value)
}

/// Coordinates with at most two decimals: sub-pixel enough, and short.
private func svgNumber(_ value: Double) -> String {
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

private func escapedXML(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&apos;"
        default: escaped.append(character)
        }
    }
    return escaped
}
