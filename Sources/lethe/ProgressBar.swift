import Foundation

/// One line of progress on standard error: redrawn in place on a terminal, printed as a
/// plain log line at most every `logInterval` seconds otherwise (a pipe or the journal).
final class ProgressBar {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let logInterval: Double
    private var lastLog = Date.distantPast
    private let width = 24

    init(logInterval: Double = 30) { self.logInterval = logInterval }

    /// Draws `fraction` (0...1) with `detail` after the bar.
    func update(fraction: Double, detail: String) {
        let clamped = min(1, max(0, fraction))
        let line = String(format: "%3.0f%% ", clamped * 100) + detail
        if isTerminal {
            let filled = Int(clamped * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + bar + " " + line).utf8))
        } else if Date().timeIntervalSince(lastLog) >= logInterval || clamped >= 1 {
            lastLog = Date()
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Ends the bar's line so later output starts on a fresh one.
    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// 3725 → "1:02:05", 65 → "1:05".
func clockDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "--:--" }
    let total = Int(seconds.rounded())
    let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
    return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
}
