// A small strict JSON parser for safetensors headers. Foundation's JSONSerialization would
// silently keep one of two duplicate keys and turns numbers into Double or NSNumber, which
// loses the difference between `2`, `2.0` and integers too large for Int that the header
// validation has to report.

/// A JSON value parsed from a safetensors header.
indirect enum HeaderJSONValue {
    /// Members in the order written, so errors are reported in file order.
    case object([HeaderJSONMember])
    case array([HeaderJSONValue])
    case string(String)
    /// The number's literal text, e.g. `-1`, `2.5e3`.
    case number(String)
    case bool(Bool)
    case null
}

struct HeaderJSONMember {
    let key: String
    let value: HeaderJSONValue
}

enum HeaderJSONError: Error {
    /// Malformed JSON; the offset is where parsing stopped, counted from the header's start.
    case syntax(byteOffset: Int)
    case duplicateKey(String)
}

/// Parses RFC 8259 JSON from bytes that are already known to be valid UTF-8.
struct HeaderJSONParser {
    /// What an object that repeats a key means.
    enum RepeatedKeys {
        /// `HeaderJSONError.duplicateKey`, also for keys that are only canonically
        /// equivalent (Swift's `==`): a safetensors header is untrusted input, and its names
        /// end up as dictionary keys.
        case rejected
        /// The later member replaces the earlier, in the earlier's place: serde_json's
        /// reading of a map, which tokenizer.json files rely on. Keys are compared by their
        /// UTF-8 bytes, as every other JSON reader compares them: `"ά"` (U+03AC) and `"ά"`
        /// (U+03B1 U+0301) are two keys (Llama 2's vocabulary has both).
        case laterWins
    }

    /// Safetensors headers nest three levels deep; the bound keeps hostile input from
    /// exhausting the stack through recursion.
    private static let maximumDepth = 32

    private let bytes: UnsafeRawBufferPointer
    private let repeatedKeys: RepeatedKeys
    private var position = 0

    private init(bytes: UnsafeRawBufferPointer, repeatedKeys: RepeatedKeys) {
        self.bytes = bytes
        self.repeatedKeys = repeatedKeys
    }

    /// The members of the JSON object that `bytes` holds, surrounded by optional whitespace.
    static func parseObject(
        _ bytes: UnsafeRawBufferPointer, repeatedKeys: RepeatedKeys = .rejected
    ) throws(HeaderJSONError) -> [HeaderJSONMember] {
        var parser = HeaderJSONParser(bytes: bytes, repeatedKeys: repeatedKeys)
        parser.skipWhitespace()
        let members = try parser.parseMembers(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw .syntax(byteOffset: parser.position) }
        return members
    }

    private var current: UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            position += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(HeaderJSONError) {
        guard current == byte else { throw .syntax(byteOffset: position) }
        position += 1
    }

    private mutating func parseValue(depth: Int) throws(HeaderJSONError) -> HeaderJSONValue {
        skipWhitespace()
        guard depth <= Self.maximumDepth, let byte = current else {
            throw .syntax(byteOffset: position)
        }
        switch byte {
        case UInt8(ascii: "{"): return .object(try parseMembers(depth: depth))
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        default: return .number(try parseNumber())
        }
    }

    private mutating func parseMembers(depth: Int) throws(HeaderJSONError) -> [HeaderJSONMember] {
        try expect(UInt8(ascii: "{"))
        var members: [HeaderJSONMember] = []
        var keys: Set<String> = []
        var indicesByKey: [[UInt8]: Int] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return members
        }
        while true {
            skipWhitespace()
            let key = try parseString()
            if repeatedKeys == .rejected, !keys.insert(key).inserted { throw .duplicateKey(key) }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            let member = HeaderJSONMember(key: key, value: try parseValue(depth: depth + 1))
            if repeatedKeys == .laterWins, let earlier = indicesByKey[Array(key.utf8)] {
                members[earlier] = member
            } else {
                if repeatedKeys == .laterWins { indicesByKey[Array(key.utf8)] = members.count }
                members.append(member)
            }
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                position += 1
                return members
            }
            try expect(UInt8(ascii: ","))
        }
    }

    private mutating func parseArray(depth: Int) throws(HeaderJSONError) -> HeaderJSONValue {
        try expect(UInt8(ascii: "["))
        var elements: [HeaderJSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            try expect(UInt8(ascii: ","))
        }
    }

    private mutating func parseLiteral(_ literal: StaticString) throws(HeaderJSONError) {
        let literalBytes = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in literalBytes {
            try expect(byte)
        }
    }

    private mutating func parseNumber() throws(HeaderJSONError) -> String {
        let start = position
        if current == UInt8(ascii: "-") {
            position += 1
        }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            try parseDigits()
        }
        if current == UInt8(ascii: ".") {
            position += 1
            try parseDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                position += 1
            }
            try parseDigits()
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// One or more decimal digits.
    private mutating func parseDigits() throws(HeaderJSONError) {
        guard let first = current, Self.isDigit(first) else { throw .syntax(byteOffset: position) }
        while let byte = current, Self.isDigit(byte) {
            position += 1
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func parseString() throws(HeaderJSONError) -> String {
        try expect(UInt8(ascii: "\""))
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw .syntax(byteOffset: position) }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(appendingTo: &utf8)
            case 0x00..<0x20:
                // Control characters must be escaped inside JSON strings.
                throw .syntax(byteOffset: position - 1)
            default:
                utf8.append(byte)
            }
        }
    }

    /// Decodes the escape sequence after a backslash.
    private mutating func parseEscape(appendingTo utf8: inout [UInt8]) throws(HeaderJSONError) {
        guard let byte = current else { throw .syntax(byteOffset: position) }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"): utf8.append(contentsOf: try parseUnicodeEscape())
        default: throw .syntax(byteOffset: position - 1)
        }
    }

    /// The UTF-8 bytes of a `\uXXXX` escape (the `\u` already consumed), joining surrogate pairs.
    private mutating func parseUnicodeEscape() throws(HeaderJSONError) -> [UInt8] {
        let escapeStart = position - 2
        let unit = try parseHexQuad()
        var scalarValue = UInt32(unit)
        if (0xD800..<0xDC00).contains(unit) {
            try expect(UInt8(ascii: "\\"))
            try expect(UInt8(ascii: "u"))
            let low = try parseHexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw .syntax(byteOffset: escapeStart) }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        }
        // A lone low surrogate is not a Unicode scalar.
        guard let scalar = Unicode.Scalar(scalarValue) else { throw .syntax(byteOffset: escapeStart) }
        return Array(String(scalar).utf8)
    }

    private mutating func parseHexQuad() throws(HeaderJSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexDigitValue(byte) else {
                throw .syntax(byteOffset: position)
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
