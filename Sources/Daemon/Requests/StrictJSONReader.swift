/// Reads a request file's JSON exactly as RFC 8259 writes it, and nothing more: a validator in
/// front of Lethe (Python's `json`, say) and Lethe must never disagree about what a request
/// asks. So what lenient readers let through is refused here: a key given twice in one object
/// (readers differ on which value wins), trailing commas, leading zeros, NaN and Infinity,
/// comments, lone surrogate escapes, raw control characters in strings, anything after the
/// value, numbers a Double cannot hold (1e400 is not infinity, 1e-400 is not 0). The nesting
/// depth is checked as containers open, so a file of a million "[" costs `maxDepth` frames.
///
/// Every error carries the path of the value it is about (`forget[2].completion`) and a byte
/// offset, never the bytes. The input must already be valid UTF-8 (`RequestParser` checks that
/// first and names the offending offset). Model files and the daemon's configuration are read
/// leniently elsewhere; this reader is for untrusted requests only.
struct StrictJSONReader {
    private let bytes: ArraySlice<UInt8>
    private let maxDepth: Int
    private var position: Int
    private var path: [JSONPathComponent] = []

    /// Reads the one JSON value `bytes` hold; offsets in errors are indices of `bytes`, so a
    /// line of a larger file is located in the file.
    static func read(_ bytes: ArraySlice<UInt8>, maxDepth: Int) throws(StrictJSONError) -> StrictJSONValue {
        var reader = StrictJSONReader(bytes: bytes, maxDepth: maxDepth, position: bytes.startIndex)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.position == bytes.endIndex else { throw reader.error(.contentAfterTheValue) }
        return value
    }

    private var next: UInt8? { position < bytes.endIndex ? bytes[position] : nil }

    private func error(_ fault: StrictJSONError.Fault, at offset: Int? = nil) -> StrictJSONError {
        StrictJSONError(path: path, offset: offset ?? position, fault: fault)
    }

    private func expected(_ what: String) -> StrictJSONError {
        switch next {
        case nil: error(.endOfText(expected: what))
        case UInt8(ascii: "/"): error(.comment)
        default: error(.expected(what))
        }
    }

    private mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func value(depth: Int) throws(StrictJSONError) -> StrictJSONValue {
        guard let byte = next else { throw expected("a value") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string().text)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw expected("a value")
        }
    }

    private mutating func literal(_ word: String) throws(StrictJSONError) {
        let spelled = Array(word.utf8)
        guard bytes[position...].starts(with: spelled) else { throw error(.expected("a value")) }
        position += spelled.count
    }

    private mutating func enter(depth: Int) throws(StrictJSONError) {
        guard depth <= maxDepth else { throw error(.tooDeep(limit: maxDepth)) }
        position += 1
        skipWhitespace()
    }

    private mutating func array(depth: Int) throws(StrictJSONError) -> StrictJSONValue {
        try enter(depth: depth)
        var elements: [StrictJSONValue] = []
        if next == UInt8(ascii: "]") { position += 1; return .array(elements) }
        while true {
            path.append(.index(elements.count))
            elements.append(try value(depth: depth))
            path.removeLast()
            skipWhitespace()
            switch next {
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            case UInt8(ascii: ","):
                let comma = position
                position += 1
                skipWhitespace()
                if next == UInt8(ascii: "]") { throw error(.trailingComma, at: comma) }
            default: throw expected("',' or ']'")
            }
        }
    }

    private mutating func object(depth: Int) throws(StrictJSONError) -> StrictJSONValue {
        try enter(depth: depth)
        var members: [StrictJSONObject.Member] = []
        // Keys compared as the scalars they spell, as RFC 8259 and Python do: Swift's String
        // equality would also match canonically equivalent spellings.
        var seen = Set<[UInt8]>()
        if next == UInt8(ascii: "}") { position += 1; return .object(StrictJSONObject(members: members)) }
        while true {
            guard next == UInt8(ascii: "\"") else { throw expected("a key in double quotes") }
            let keyOffset = position
            let key = try string()
            path.append(.key(key.text))
            guard seen.insert(key.utf8).inserted else { throw error(.repeatedKey, at: keyOffset) }
            skipWhitespace()
            guard next == UInt8(ascii: ":") else { throw expected("':' after the key") }
            position += 1
            skipWhitespace()
            members.append(StrictJSONObject.Member(key: key.text, offset: keyOffset, value: try value(depth: depth)))
            path.removeLast()
            skipWhitespace()
            switch next {
            case UInt8(ascii: "}"): position += 1; return .object(StrictJSONObject(members: members))
            case UInt8(ascii: ","):
                let comma = position
                position += 1
                skipWhitespace()
                if next == UInt8(ascii: "}") { throw error(.trailingComma, at: comma) }
            default: throw expected("',' or '}'")
            }
        }
    }

    /// A string at `position` (its opening quote), as text and as the UTF-8 it decodes to.
    private mutating func string() throws(StrictJSONError) -> (text: String, utf8: [UInt8]) {
        position += 1
        var decoded: [UInt8] = []
        while true {
            guard let byte = next else { throw error(.endOfText(expected: "the closing '\"' of a string")) }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return (String(decoding: decoded, as: UTF8.self), decoded)
            case UInt8(ascii: "\\"):
                try escape(into: &decoded)
            case ..<0x20:
                throw error(.controlCharacterInString)
            default:
                decoded.append(byte)
                position += 1
            }
        }
    }

    private mutating func escape(into decoded: inout [UInt8]) throws(StrictJSONError) {
        let start = position
        position += 1
        guard let letter = next else { throw error(.endOfText(expected: "an escape sequence")) }
        position += 1
        let simple: UInt8? = switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): letter
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple { decoded.append(simple); return }
        guard letter == UInt8(ascii: "u") else { throw error(.invalidEscape, at: start) }
        var unit = try hexQuad(escapeStart: start)
        if (0xDC00...0xDFFF).contains(unit) { throw error(.loneSurrogate, at: start) }
        if (0xD800...0xDBFF).contains(unit) {
            // A high surrogate is half a character: the low half must follow as the next escape.
            guard bytes.endIndex - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw error(.loneSurrogate, at: start)
            }
            let lowStart = position
            position += 2
            let low = try hexQuad(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else { throw error(.loneSurrogate, at: start) }
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        }
        UTF8.encode(Unicode.Scalar(unit)!) { decoded.append($0) }
    }

    private mutating func hexQuad(escapeStart: Int) throws(StrictJSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt32
            switch next {
            case let byte? where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): digit = UInt32(byte - UInt8(ascii: "0"))
            case let byte? where (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case let byte? where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error(.invalidEscape, at: escapeStart)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private mutating func number() throws(StrictJSONError) -> JSONNumber {
        let start = position
        var isInteger = true, mantissaIsZero = true
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
        if next == UInt8(ascii: "-") { position += 1 }
        guard isDigit(next) else { throw expected("a digit") }
        if next == UInt8(ascii: "0") {
            position += 1
            if isDigit(next) { throw error(.leadingZero, at: start) }
        } else {
            while isDigit(next) { mantissaIsZero = false; position += 1 }
        }
        if next == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard isDigit(next) else { throw expected("a digit after the decimal point") }
            while let byte = next, isDigit(byte) { mantissaIsZero = mantissaIsZero && byte == UInt8(ascii: "0"); position += 1 }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { position += 1 }
            guard isDigit(next) else { throw expected("a digit in the exponent") }
            while isDigit(next) { position += 1 }
        }
        // The grammar is checked above, so the literal is one Double(String) reads, correctly rounded.
        guard let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)), value.isFinite else {
            throw error(.numberTooLarge, at: start)
        }
        if value == 0 && !mantissaIsZero { throw error(.numberTooSmall, at: start) }
        return JSONNumber(value: value, isInteger: isInteger)
    }
}

/// A JSON value as a request wrote it: like Model's `JSONValue`, but a number remembers whether
/// it was written as an integer and an object keeps its keys in order with their offsets.
enum StrictJSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([StrictJSONValue])
    case object(StrictJSONObject)
}

struct JSONNumber: Sendable, Equatable {
    let value: Double
    /// Written without a fraction or an exponent: `2`, not `2.0` or `2e0`.
    let isInteger: Bool
}

struct StrictJSONObject: Sendable, Equatable {
    struct Member: Sendable, Equatable {
        let key: String
        /// Where the key starts in the file, to point at a key an error does not repeat.
        let offset: Int
        let value: StrictJSONValue
    }

    /// In the order of the file; no key twice (the reader refuses that).
    let members: [Member]

    /// The value of the key spelled exactly `key` (the same scalars, not merely equivalent ones).
    subscript(key: String) -> StrictJSONValue? {
        members.first { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }?.value
    }

    /// The first member, in file order, whose key is none of `known`.
    func firstMember(notIn known: [String]) -> Member? {
        members.first { member in !known.contains { $0.unicodeScalars.elementsEqual(member.key.unicodeScalars) } }
    }
}

enum JSONPathComponent: Sendable, Equatable {
    case key(String)
    case index(Int)
}

/// Where the reader stopped and why; the parser turns it into a `RequestError`.
struct StrictJSONError: Error, Sendable, Equatable {
    enum Fault: Sendable, Equatable {
        case expected(String)
        case endOfText(expected: String)
        case contentAfterTheValue
        case trailingComma
        case comment
        case leadingZero
        case controlCharacterInString
        case invalidEscape
        case loneSurrogate
        case repeatedKey
        case tooDeep(limit: Int)
        case numberTooLarge
        case numberTooSmall
    }

    /// The value the fault is in or at (for `repeatedKey`, the key given twice).
    let path: [JSONPathComponent]
    let offset: Int
    let fault: Fault
}
