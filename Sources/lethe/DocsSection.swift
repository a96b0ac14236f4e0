import Foundation
import Model

/// A generated section of a Markdown document, between two HTML comments that name it, so a
/// benchmark can rewrite its own table without touching the prose around it.
enum DocsSection {
    /// Replaces the section `name` of `file` with `content`, or appends it when the file does
    /// not have it yet. The file is replaced atomically.
    static func write(_ content: String, named name: String, into file: URL) throws {
        let begin = "<!-- BEGIN \(name) (generated; do not edit by hand) -->", end = "<!-- END \(name) -->"
        let section = begin + "\n" + content.trimmingCharacters(in: .newlines) + "\n" + end
        var text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        if let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) {
            text.replaceSubrange(start.lowerBound..<stop.upperBound, with: section)
        } else {
            text += (text.isEmpty || text.hasSuffix("\n\n") ? "" : text.hasSuffix("\n") ? "\n" : "\n\n") + section + "\n"
        }
        try DurableFile.write(Array(text.utf8), to: file)
    }
}
