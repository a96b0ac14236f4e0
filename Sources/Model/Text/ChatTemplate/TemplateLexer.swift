/// One token of a template, with the line it starts on.
struct TemplateToken {
    enum Kind: Equatable {
        case data(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case `operator`(String)
        case end
    }

    let kind: Kind
    let line: Int
}

/// Splits a template into tokens as jinja2's lexer does with `trim_blocks` and `lstrip_blocks` on
/// (transformers' settings): a newline right after a block or comment tag is dropped, white space
/// before a block or comment tag that starts its line is dropped, and `-`/`+` at a tag's edge strip or keep
/// the white space on that side.
struct TemplateLexer {
    private let source: [Unicode.Scalar]
    private var position = 0
    private var line = 1
    private var tokens: [TemplateToken] = []
    /// Whether the text before the next tag starts a line (jinja2's `line_starting`).
    private var lineStarting = true

    static func tokenize(_ template: String) throws(ChatTemplateError) -> [TemplateToken] {
        var lexer = TemplateLexer(source: normalizedNewlines(template))
        try lexer.run()
        return lexer.tokens
    }

    private init(source: [Unicode.Scalar]) {
        self.source = source
    }

    /// jinja2 turns \r\n and \r into \n and drops one trailing newline (`keep_trailing_newline` is off).
    private static func normalizedNewlines(_ template: String) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        var iterator = Array(template.unicodeScalars)[...]
        while let scalar = iterator.popFirst() {
            if scalar == "\r" {
                if iterator.first == "\n" { iterator.removeFirst() }
                scalars.append("\n")
            } else {
                scalars.append(scalar)
            }
        }
        if scalars.last == "\n" { scalars.removeLast() }
        return scalars
    }

    private func starts(with text: String, at index: Int) -> Bool {
        var i = index
        for scalar in text.unicodeScalars {
            guard i < source.count, source[i] == scalar else { return false }
            i += 1
        }
        return true
    }

    private mutating func advance(to index: Int) {
        for i in position..<index where source[i] == "\n" { line += 1 }
        position = index
    }

    private mutating func emit(_ kind: TemplateToken.Kind, line tokenLine: Int? = nil) {
        tokens.append(TemplateToken(kind: kind, line: tokenLine ?? line))
    }

    private mutating func run() throws(ChatTemplateError) {
        while position < source.count {
            guard let (tagStart, tag) = nextTag(from: position) else {
                emit(.data(PythonString.string(source[position...])))
                advance(to: source.count)
                break
            }
            let signIndex = tagStart + 2
            let sign: Unicode.Scalar? = signIndex < source.count && (source[signIndex] == "-" || source[signIndex] == "+") ? source[signIndex] : nil
            var text = Array(source[position..<tagStart])
            if sign == "-" {
                while let last = text.last, PythonString.isSpace(last) { text.removeLast() }
            } else if sign != "+" && tag != "{{" {
                // lstrip_blocks: white space between the line's start and a block or comment tag goes.
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if (lineStart > 0 || lineStarting) && lineStart < text.count && text[lineStart...].allSatisfy(PythonString.isSpace) {
                    text.removeSubrange(lineStart...)
                }
            }
            if !text.isEmpty { emit(.data(PythonString.string(text))) }
            advance(to: tagStart)
            if tag == "{%", isRawBlock(at: tagStart) { throw .unsupported(line: line, construct: "the raw block") }
            advance(to: signIndex + (sign == nil ? 0 : 1))
            switch tag {
            case "{#": try skipComment()
            case "{%": emit(.blockBegin); try lexTag(block: true)
            default: emit(.variableBegin); try lexTag(block: false)
            }
        }
        emit(.end)
    }

    private func nextTag(from start: Int) -> (Int, String)? {
        var i = start
        while i + 1 < source.count {
            if source[i] == "{" {
                switch source[i + 1] {
                case "{": return (i, "{{")
                case "%": return (i, "{%")
                case "#": return (i, "{#")
                default: break
                }
            }
            i += 1
        }
        return nil
    }

    private func isRawBlock(at index: Int) -> Bool {
        var i = index + 2
        if i < source.count, source[i] == "-" || source[i] == "+" { i += 1 }
        while i < source.count, PythonString.isSpace(source[i]) { i += 1 }
        return starts(with: "raw", at: i) && (i + 3 >= source.count || !isNameContinue(source[i + 3]))
    }

    /// The end of a tag: `+%}` keeps what follows, `-%}` eats the white space after it, `%}` eats one
    /// newline (trim_blocks; block and comment tags only). Returns the index after the end, or nil.
    private func tagEnd(at i: Int, closing: String, trims: Bool) -> Int? {
        if trims, starts(with: "+" + closing, at: i) { return i + 3 }
        if starts(with: "-" + closing, at: i) {
            var j = i + 3
            while j < source.count, PythonString.isSpace(source[j]) { j += 1 }
            return j
        }
        if starts(with: closing, at: i) {
            let j = i + 2
            return trims && j < source.count && source[j] == "\n" ? j + 1 : j
        }
        return nil
    }

    private mutating func finishTag(at end: Int) {
        lineStarting = end > 0 && source[end - 1] == "\n"
        advance(to: end)
    }

    private mutating func skipComment() throws(ChatTemplateError) {
        let startLine = line
        var i = position
        while i < source.count {
            if let end = tagEnd(at: i, closing: "#}", trims: true) {
                finishTag(at: end)
                return
            }
            i += 1
        }
        throw .syntax(line: startLine, message: "missing end of comment tag")
    }

    private static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")",
                                    "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"]

    private mutating func lexTag(block: Bool) throws(ChatTemplateError) {
        var brackets: [Unicode.Scalar] = []
        let closing = block ? "%}" : "}}"
        while true {
            guard position < source.count else {
                throw .syntax(line: line, message: "unexpected end of template, expected '\(closing)'")
            }
            if brackets.isEmpty, let end = tagEnd(at: position, closing: closing, trims: block) {
                emit(block ? .blockEnd : .variableEnd)
                finishTag(at: end)
                return
            }
            let scalar = source[position]
            if PythonString.isSpace(scalar) {
                var j = position
                while j < source.count, PythonString.isSpace(source[j]) { j += 1 }
                advance(to: j)
            } else if scalar.properties.numericType == .decimal && scalar.isASCII {
                try lexNumber()
            } else if isNameStart(scalar) {
                var j = position + 1
                while j < source.count, isNameContinue(source[j]) { j += 1 }
                emit(.name(PythonString.string(source[position..<j])))
                advance(to: j)
            } else if scalar == "'" || scalar == "\"" {
                try lexString(quote: scalar)
            } else if let op = Self.operators.first(where: { starts(with: $0, at: position) }) {
                switch op {
                case "(": brackets.append(")")
                case "[": brackets.append("]")
                case "{": brackets.append("}")
                case ")", "]", "}":
                    guard let expected = brackets.popLast() else { throw .syntax(line: line, message: "unexpected '\(op)'") }
                    guard String(expected) == op else {
                        throw .syntax(line: line, message: "unexpected '\(op)', expected '\(expected)'")
                    }
                default: break
                }
                emit(.operator(op))
                advance(to: position + op.unicodeScalars.count)
            } else {
                throw .syntax(line: line, message: "unexpected character '\(scalar)'")
            }
        }
    }

    private func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isXIDStart
    }

    private func isNameContinue(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isXIDContinue
    }

    private func digits(from start: Int) -> Int {
        var j = start
        while j < source.count, source[j].isASCII, source[j].properties.numericType == .decimal
                || (source[j] == "_" && j + 1 < source.count && source[j + 1].properties.numericType == .decimal) {
            j += 1
        }
        return j
    }

    /// Integers (decimal; jinja2's 0x/0o/0b forms are refused) and floats with a fraction or exponent.
    private mutating func lexNumber() throws(ChatTemplateError) {
        var end = digits(from: position)
        var isFloat = false
        if end + 1 < source.count, source[end] == ".", source[end + 1].isASCII, source[end + 1].properties.numericType == .decimal {
            end = digits(from: end + 1)
            isFloat = true
        }
        if end < source.count, source[end] == "e" || source[end] == "E" {
            var j = end + 1
            if j < source.count, source[j] == "+" || source[j] == "-" { j += 1 }
            if j < source.count, source[j].isASCII, source[j].properties.numericType == .decimal {
                end = digits(from: j)
                isFloat = true
            }
        }
        let text = PythonString.string(source[position..<end]).replacingOccurrences(of: "_", with: "")
        if !isFloat, text.count > 1, text.hasPrefix("0"), end < source.count, "xXoObB".unicodeScalars.contains(source[end]) {
            throw .unsupported(line: line, construct: "a hexadecimal, octal or binary number literal")
        }
        if isFloat {
            guard let value = Double(text) else { throw .syntax(line: line, message: "invalid number '\(text)'") }
            emit(.float(value))
        } else {
            guard let value = Int(text) else { throw .unsupported(line: line, construct: "the integer \(text) (too large)") }
            emit(.integer(value))
        }
        advance(to: end)
    }

    /// A quoted string with Python's escapes (jinja2 decodes them with `unicode-escape`).
    private mutating func lexString(quote: Unicode.Scalar) throws(ChatTemplateError) {
        let startLine = line
        var value: [Unicode.Scalar] = []
        var i = position + 1
        while true {
            guard i < source.count else { throw .syntax(line: startLine, message: "unterminated string") }
            let scalar = source[i]
            if scalar == quote { break }
            if scalar == "\\", i + 1 < source.count {
                let (decoded, next) = try unescape(at: i + 1)
                value += decoded
                i = next
            } else {
                value.append(scalar)
                i += 1
            }
        }
        emit(.string(PythonString.string(value)), line: startLine)
        advance(to: i + 1)
    }

    private func unescape(at i: Int) throws(ChatTemplateError) -> ([Unicode.Scalar], Int) {
        let simple: [Unicode.Scalar: Unicode.Scalar] = ["n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", "\"": "\"",
                                                        "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "v": "\u{0B}"]
        let scalar = source[i]
        if scalar == "\n" { return ([], i + 1) }
        if let hexDigits = ["x": 2, "u": 4, "U": 8][Character(scalar)] {
            let end = i + 1 + hexDigits
            guard end <= source.count, let code = UInt32(PythonString.string(source[(i + 1)..<end]), radix: 16),
                  let decoded = Unicode.Scalar(code) else {
                throw .syntax(line: line, message: "truncated \\\(scalar) escape in a string")
            }
            return ([decoded], end)
        }
        if (0x30...0x37).contains(scalar.value) {
            var end = i, code: UInt32 = 0
            while end < source.count, end < i + 3, source[end].value >= 0x30, source[end].value <= 0x37 {
                code = code * 8 + source[end].value - 0x30
                end += 1
            }
            return ([Unicode.Scalar(code)!], end)
        }
        if scalar == "N" { throw .unsupported(line: line, construct: "the \\N{…} escape in a string") }
        if let decoded = simple[scalar] { return ([decoded], i + 1) }
        return (["\\", scalar], i + 1)
    }
}
