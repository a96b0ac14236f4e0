/// `Metaspace`: SentencePiece's view of spaces. Each space becomes `replacement` (`▁`), a
/// piece that does not start with it gets one (`prepend_scheme` "always"; "first": only the
/// piece that begins the text; "never"), and with `split` each piece is cut before every
/// `replacement`.
struct MetaspacePreTokenizer: Equatable, Sendable {
    enum PrependScheme: String, Sendable {
        case always, first, never
    }

    var replacement: Unicode.Scalar
    var prependScheme: PrependScheme
    var splits: Bool

    init(json: JSONField) throws {
        replacement = try json.scalar("replacement")
        if let schemeField = json.member("prepend_scheme") {
            guard let scheme = PrependScheme(rawValue: try schemeField.string()) else {
                throw schemeField.invalid("must be \"always\", \"first\" or \"never\"")
            }
            prependScheme = scheme
        } else {
            // Files written before tokenizers 0.14 say `add_prefix_space` instead.
            prependScheme = try json.flag("add_prefix_space", default: true) ? .always : .never
        }
        splits = try json.flag("split", default: true)
    }

    var json: HeaderJSONValue {
        .fields([
            "type": .string("Metaspace"), "replacement": .string(String(replacement)),
            "prepend_scheme": .string(prependScheme.rawValue), "split": .bool(splits),
        ])
    }

    func preTokenize(_ text: inout PreTokenizedText) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.scalars.count + text.pieces.count)
        var pieces: [Range<Int>] = []
        for piece in text.pieces where !piece.isEmpty {
            let start = scalars.count
            let prepends = switch prependScheme {
            case .always: true
            case .first: text.startsInput && piece.lowerBound == 0
            case .never: false
            }
            if prepends, text.scalars[piece.lowerBound] != replacement, !(text.scalars[piece.lowerBound] == " ") {
                scalars.append(replacement)
            }
            for scalar in text.scalars[piece] { scalars.append(scalar == " " ? replacement : scalar) }
            guard splits else {
                pieces.append(start..<scalars.count)
                continue
            }
            // MergedWithNext on `replacement`: each piece starts at one.
            var pieceStart = start
            for index in (start + 1)..<max(start + 1, scalars.count) where scalars[index] == replacement {
                pieces.append(pieceStart..<index)
                pieceStart = index
            }
            pieces.append(pieceStart..<scalars.count)
        }
        text.scalars = scalars
        text.pieces = pieces
    }
}
