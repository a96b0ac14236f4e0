/// GPT-2's byte-level alphabet: each of the 256 byte values stands for one visible Unicode
/// scalar, so any byte string, valid UTF-8 or not, is a string a vocabulary can hold. The
/// printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68
/// (controls, space, DEL, no-break space, soft hyphen) are moved to U+0100 upwards in byte
/// order, so the space byte is `Ġ` (U+0120) and the newline `Ċ` (U+010A).
enum ByteLevelAlphabet {
    /// The scalar each byte value stands for.
    static let scalars: [Unicode.Scalar] = {
        var next: UInt32 = 0x100
        return (0...255).map { (byte: UInt32) in
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                return Unicode.Scalar(byte)!
            }
            defer { next += 1 }
            return Unicode.Scalar(next)!
        }
    }()

    /// The inverse of `scalars`, indexed by scalar value (all of them lie below U+0144).
    private static let bytesByScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The byte `scalar` stands for, or nil when it is not in the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        guard scalar.value < 0x144, case let byte = bytesByScalar[Int(scalar.value)], byte >= 0 else { return nil }
        return UInt8(byte)
    }

    /// The vocabulary string for a byte string: one alphabet scalar per byte.
    static func token(for bytes: some Sequence<UInt8>) -> String {
        var token = String.UnicodeScalarView()
        for byte in bytes { token.append(scalars[Int(byte)]) }
        return String(token)
    }

    /// The bytes a vocabulary string stands for, or nil when it has a scalar outside the
    /// alphabet (an added token such as `<|endoftext|>` is all alphabet; one with a space is not).
    static func bytes(of token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
