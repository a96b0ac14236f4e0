/// The deepest nesting of arrays and objects in a JSON text, found by a byte scan that skips
/// strings, so a hostile file of a million "[" is refused before a recursive parser sees it.
/// Stops as soon as `limit` is exceeded and returns a value above it.
enum JSONNesting {
    static func depth(of bytes: [UInt8], limit: Int) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
                if deepest > limit { return deepest }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
