/// `Digits`: runs of numbers (`\p{N}`, Rust's `char::is_numeric`) apart from the rest, or
/// with `individual_digits` each number scalar alone.
struct DigitsPreTokenizer: Equatable, Sendable {
    var individually: Bool

    init(individually: Bool) {
        self.individually = individually
    }

    init(json: JSONField) throws {
        individually = try json.flag("individual_digits", default: false)
    }

    var json: HeaderJSONValue {
        .fields(["type": .string("Digits"), "individual_digits": .bool(individually)])
    }

    func split(_ text: ArraySlice<Unicode.Scalar>, into pieces: inout [Range<Int>]) {
        var start = text.startIndex
        while start < text.endIndex {
            let isNumber = ScalarClass(text[start]) == .number
            var end = start + 1
            if !(isNumber && individually) {
                while end < text.endIndex, (ScalarClass(text[end]) == .number) == isNumber { end += 1 }
            }
            pieces.append(start..<end)
            start = end
        }
    }
}
