import Model

/// A day of the Gregorian calendar, as the corpus states birth dates and festival days:
/// "12 April 1961" in sentences, "1961-04-12" in `authors.jsonl`.
public struct CalendarDate: Codable, Sendable, Equatable, Hashable {
    public let year: Int
    public let month: Int
    public let day: Int

    static let monthNames = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]

    /// Nil unless `month` and `day` name a real day; February stops at 28, so no date
    /// depends on the year being a leap year.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.dayCount(month: month)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// A uniform day of a year in `years`.
    init(drawingFrom years: ClosedRange<Int>, using generator: inout SeededGenerator) {
        let month = generator.integer(in: 1...12)
        self.init(year: generator.integer(in: years), month: month, day: generator.integer(in: 1...Self.dayCount(month: month)))!
    }

    private static func dayCount(month: Int) -> Int {
        switch month {
        case 2: 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// "12 April 1961".
    var spoken: String { "\(dayAndMonth) \(year)" }

    /// "12 April", for yearly events.
    var dayAndMonth: String { "\(day) \(Self.monthNames[month - 1])" }

    /// "1961-04-12".
    var iso: String {
        func padded(_ value: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(value).count)) + String(value)
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
              let date = CalendarDate(year: year, month: month, day: day)
        else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a date written YYYY-MM-DD")
        }
        self = date
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}
