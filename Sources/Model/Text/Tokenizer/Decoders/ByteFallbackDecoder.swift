/// `ByteFallback`: runs of `<0xNN>` tokens become the text their bytes spell, or, when the
/// run is not valid UTF-8, one U+FFFD per byte (tokenizers' rule, not `from_utf8_lossy`'s).
struct ByteFallbackDecoder: Equatable, Sendable {
    var json: HeaderJSONValue {
        .fields(["type": .string("ByteFallback")])
    }

    /// The byte of a `<0xNN>` token: six bytes, `NN` as Rust's `u8::from_str_radix(_, 16)`
    /// reads it (either case; `+F` too).
    static func byte(of token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        let digits = String(decoding: utf8[3..<5], as: UTF8.self)
        return UInt8(digits.hasPrefix("+") ? String(digits.dropFirst()) : digits, radix: 16)
    }

    func decode(_ tokens: [String]) -> [String] {
        var result: [String] = []
        var bytes: [UInt8] = []
        func flush() {
            guard !bytes.isEmpty else { return }
            if let text = String(validating: bytes, as: UTF8.self) {
                result.append(text)
            } else {
                result += Array(repeating: "\u{FFFD}", count: bytes.count)
            }
            bytes.removeAll()
        }
        for token in tokens {
            if let byte = Self.byte(of: token) {
                bytes.append(byte)
            } else {
                flush()
                result.append(token)
            }
        }
        flush()
        return result
    }
}
