import Foundation
import Model

/// JSON for scripts: snake_case keys, sorted, times in ISO 8601 (`LetheJSON`), one document.
func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try LetheJSON.encoder().encode(value), as: UTF8.self)
}

/// Two aligned columns for people.
func printTable(_ rows: [(String, String)]) {
    let width = rows.map(\.0.count).max() ?? 0
    for (key, value) in rows {
        print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
    }
}

/// Rows of cells under a header, each column padded to its widest cell.
func printColumns(_ header: [String], _ rows: [[String]]) {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    for row in [header] + rows {
        let cells = row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}

/// 1536 → "1.5 KiB".
func humanBytes(_ count: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count), unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
}

/// How long ago `date` was, in the largest whole unit: "5 min ago".
func relativeTime(_ date: Date, now: Date = Date()) -> String {
    let seconds = Int(now.timeIntervalSince(date))
    if seconds < 5 { return "just now" }
    for (unit, length) in [("d", 86400), ("h", 3600), ("min", 60), ("s", 1)] where seconds >= length {
        return "\(seconds / length) \(unit) ago"
    }
    return "just now"
}

/// One-line JSON, for values shown inside a table.
func compactJSON<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try LetheJSON.encoder(compact: true, snakeCaseKeys: false).encode(value), as: UTF8.self)
}
