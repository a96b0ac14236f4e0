/// `Strip`: from each token, up to `start` leading and `stop` trailing scalars equal to
/// `content` are removed (Llama 2: the space in front of the first word).
struct StripDecoder: Equatable, Sendable {
    var content: Unicode.Scalar
    var start: Int
    var stop: Int

    init(json: JSONField) throws {
        content = try json.scalar("content")
        start = try json.integer("start", default: 0)
        stop = try json.integer("stop", default: 0)
        guard start >= 0, stop >= 0 else { throw json.invalid("has a negative start or stop") }
    }

    var json: HeaderJSONValue {
        .fields(["type": .string("Strip"), "content": .string(String(content)), "start": .integer(start), "stop": .integer(stop)])
    }

    func decode(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var lower = 0
            while lower < min(start, scalars.count), scalars[lower] == content { lower += 1 }
            var upper = scalars.count
            while scalars.count - upper < stop, upper > lower, scalars[upper - 1] == content { upper -= 1 }
            return String(String.UnicodeScalarView(scalars[lower..<upper]))
        }
    }
}
