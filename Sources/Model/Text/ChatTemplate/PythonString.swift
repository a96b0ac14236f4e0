/// Python's `str` semantics on Unicode scalars. Swift's `String` compares and counts by grapheme
/// clusters with canonical equivalence; a template must see code points exactly as Python does, so
/// every string operation of the template engine goes through these.
enum PythonString {
    typealias Scalars = [Unicode.Scalar]

    /// `str.isspace()` for one character: Unicode white space plus the separators Python counts.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// The line boundaries of `str.splitlines()`.
    static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A...0x0D, 0x1C...0x1E, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    static func equal(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

    static func less(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
    }

    static func length(_ s: String) -> Int { s.unicodeScalars.count }

    /// `str.strip(chars)` / `lstrip` / `rstrip`; nil chars strips white space.
    static func strip(_ s: String, characters: String?, leading: Bool, trailing: Bool) -> String {
        let scalars = Array(s.unicodeScalars)
        let set = characters.map { Set($0.unicodeScalars) }
        let strips: (Unicode.Scalar) -> Bool = { scalar in set.map { $0.contains(scalar) } ?? isSpace(scalar) }
        var start = 0, end = scalars.count
        if leading { while start < end, strips(scalars[start]) { start += 1 } }
        if trailing { while end > start, strips(scalars[end - 1]) { end -= 1 } }
        return string(scalars[start..<end])
    }

    static func find(_ needle: Scalars, in haystack: Scalars, from start: Int = 0) -> Int? {
        if needle.isEmpty { return start <= haystack.count ? start : nil }
        guard haystack.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func contains(_ s: String, _ needle: String) -> Bool {
        find(Array(needle.unicodeScalars), in: Array(s.unicodeScalars)) != nil
    }

    static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        s.unicodeScalars.starts(with: prefix.unicodeScalars)
    }

    static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
        s.unicodeScalars.reversed().starts(with: suffix.unicodeScalars.reversed())
    }

    /// `str.split(sep, maxsplit)`; nil separator splits on runs of white space and drops empty parts.
    static func split(_ s: String, separator: String?, maxSplit: Int) throws(TemplateFailure) -> [String] {
        let scalars = Array(s.unicodeScalars)
        var parts: [String] = []
        guard let separator else {
            var i = 0
            while i < scalars.count {
                while i < scalars.count, isSpace(scalars[i]) { i += 1 }
                if i == scalars.count { break }
                if maxSplit >= 0, parts.count == maxSplit {
                    var end = scalars.count
                    while end > i, isSpace(scalars[end - 1]) { end -= 1 }
                    parts.append(string(scalars[i..<end]))
                    return parts
                }
                let start = i
                while i < scalars.count, !isSpace(scalars[i]) { i += 1 }
                parts.append(string(scalars[start..<i]))
            }
            return parts
        }
        let needle = Array(separator.unicodeScalars)
        guard !needle.isEmpty else { throw TemplateFailure(.type, "str.split() was given an empty separator") }
        var start = 0
        while maxSplit < 0 || parts.count < maxSplit, let found = find(needle, in: scalars, from: start) {
            parts.append(string(scalars[start..<found]))
            start = found + needle.count
        }
        parts.append(string(scalars[start...]))
        return parts
    }

    /// `str.rsplit(sep, maxsplit)` with an explicit separator.
    static func rightSplit(_ s: String, separator: String, maxSplit: Int) throws(TemplateFailure) -> [String] {
        if maxSplit < 0 { return try split(s, separator: separator, maxSplit: -1) }
        let reversedParts = try split(
            string(s.unicodeScalars.reversed()), separator: string(separator.unicodeScalars.reversed()), maxSplit: maxSplit)
        return reversedParts.reversed().map { string($0.unicodeScalars.reversed()) }
    }

    /// `str.replace(old, new, count)`.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let scalars = Array(s.unicodeScalars), needle = Array(old.unicodeScalars), replacement = Array(new.unicodeScalars)
        var result: Scalars = []
        var replaced = 0, i = 0
        if needle.isEmpty {
            // Python inserts the replacement between every character and at both ends.
            for scalar in scalars {
                if count < 0 || replaced < count { result += replacement; replaced += 1 }
                result.append(scalar)
            }
            if count < 0 || replaced < count { result += replacement }
            return string(result)
        }
        while i < scalars.count {
            if count < 0 || replaced < count, let found = find(needle, in: scalars, from: i), found == i {
                result += replacement; i += needle.count; replaced += 1
            } else if count >= 0 && replaced >= count {
                result += scalars[i...]; break
            } else if let found = find(needle, in: scalars, from: i) {
                result += scalars[i..<found]; i = found
            } else {
                result += scalars[i...]; break
            }
        }
        return string(result)
    }

    /// `str.splitlines()` (without the line ends).
    static func splitLines(_ s: String) -> [String] {
        let scalars = Array(s.unicodeScalars)
        var lines: [String] = []
        var start = 0, i = 0
        while i < scalars.count {
            if isLineBreak(scalars[i]) {
                lines.append(string(scalars[start..<i]))
                if scalars[i] == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < scalars.count { lines.append(string(scalars[start...])) }
        return lines
    }

    static func upper(_ s: String) -> String { s.uppercased() }
    static func lower(_ s: String) -> String { s.lowercased() }

    /// `str.capitalize()`: the first character upper-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + string(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// `str.title()`: a cased character after an uncased one starts a word.
    static func title(_ s: String) -> String {
        var result = ""
        var previousCased = false
        for scalar in s.unicodeScalars {
            let cased = scalar.properties.isCased
            result += previousCased ? String(scalar).lowercased() : String(scalar).uppercased()
            previousCased = cased
        }
        return result
    }

    /// Python's `repr()` of a string: single quotes unless the text holds a single quote and no double one.
    static func repr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
        var result = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case quote: result += "\\" + String(quote)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value >= 0x80 && !isPrintable(scalar) {
                    let width = scalar.value <= 0xFF ? 2 : scalar.value <= 0xFFFF ? 4 : 8
                    result += (width == 2 ? "\\x" : width == 4 ? "\\u" : "\\U") + hex(scalar.value, width: width)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        result.unicodeScalars.append(quote)
        return result
    }

    /// Python's `str.isprintable()` for one character: not a control, format, separator (other than
    /// the space), surrogate, private-use or unassigned character.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator: return false
        case .spaceSeparator: return scalar == " "
        default: return true
        }
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
