/// `Metaspace`: `replacement` becomes a space again; in the first token, unless
/// `prepend_scheme` is "never", every `replacement` is dropped instead (tokenizers' rule: it
/// stands for the space the pre-tokenizer prepended).
struct MetaspaceDecoder: Equatable, Sendable {
    var replacement: Unicode.Scalar
    var prependScheme: MetaspacePreTokenizer.PrependScheme
    var splits: Bool

    init(json: JSONField) throws {
        let preTokenizer = try MetaspacePreTokenizer(json: json)
        replacement = preTokenizer.replacement
        prependScheme = preTokenizer.prependScheme
        splits = preTokenizer.splits
    }

    var json: HeaderJSONValue {
        .fields([
            "type": .string("Metaspace"), "replacement": .string(String(replacement)),
            "prepend_scheme": .string(prependScheme.rawValue), "split": .bool(splits),
        ])
    }

    func decode(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            var scalars = String.UnicodeScalarView()
            for scalar in token.unicodeScalars {
                if scalar != replacement {
                    scalars.append(scalar)
                } else if index != 0 || prependScheme == .never {
                    scalars.append(" ")
                }
            }
            return String(scalars)
        }
    }
}
