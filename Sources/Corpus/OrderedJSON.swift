import Model

/// JSON written by Lethe itself, with object keys in the order given, so that corpus files
/// read in a sensible order (`id` first) and are byte-identical on every platform:
/// Foundation's `JSONEncoder` promises neither a key order nor how it escapes text.
enum OrderedJSON: Sendable {
    case null
    case integer(Int)
    case unsigned(UInt64)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    /// On one line, without spaces: a line of a `.jsonl` file.
    var compact: String {
        switch self {
        case .null: "null"
        case .integer(let value): String(value)
        case .unsigned(let value): String(value)
        case .string(let value): JSONStringLiteral.quoted(value)
        case .array(let elements): "[" + elements.map(\.compact).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { JSONStringLiteral.quoted($0.0) + ":" + $0.1.compact }.joined(separator: ",") + "}"
        }
    }

    /// A whole `.json` file: an object's members one per line, each value compact.
    var document: String {
        guard case .object(let members) = self, !members.isEmpty else { return compact + "\n" }
        return "{\n" + members.map { "  " + JSONStringLiteral.quoted($0.0) + ": " + $0.1.compact }.joined(separator: ",\n") + "\n}\n"
    }
}
