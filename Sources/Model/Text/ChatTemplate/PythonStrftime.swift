import Foundation

/// Python's `datetime.strftime` in the C locale, for the `strftime_now` global that transformers
/// gives templates (Llama 3.x prints today's date with it).
enum PythonStrftime {
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                                 "October", "November", "December"]

    /// `date` as a wall clock in `timeZone` (Python's naive `datetime.now()` is the local time).
    static func format(_ date: Date, in timeZone: TimeZone, _ format: String) throws(TemplateFailure) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
        let year = parts.year!, month = parts.month!, day = parts.day!, hour = parts.hour!
        let weekday = parts.weekday! - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date)!
        func padded(_ value: Int, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var result = ""
        var scalars = Array(format.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            guard scalar == "%", let code = scalars.popFirst() else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch code {
            case "d": result += padded(day)
            case "m": result += padded(month)
            case "Y": result += String(year)
            case "y": result += padded(year % 100)
            case "H": result += padded(hour)
            case "I": result += padded(hour % 12 == 0 ? 12 : hour % 12)
            case "M": result += padded(parts.minute!)
            case "S": result += padded(parts.second!)
            case "f": result += padded(parts.nanosecond! / 1000, 6)
            case "p": result += hour < 12 ? "AM" : "PM"
            case "A": result += weekdays[weekday]
            case "a": result += String(weekdays[weekday].prefix(3))
            case "B": result += months[month - 1]
            case "b", "h": result += String(months[month - 1].prefix(3))
            case "j": result += padded(dayOfYear, 3)
            case "w": result += String(weekday)
            case "e": result += (day < 10 ? " " : "") + String(day)
            case "%": result += "%"
            default: throw .unsupported("the strftime code %\(code)")
            }
        }
        return result
    }
}
