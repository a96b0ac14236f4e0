/// tokenizer.json's `normalizer`: what the text between added tokens becomes before it is
/// cut into pre-tokens. One case per component of tokenizers' `normalizers/`, each in its
/// own file with its JSON reading and writing; `type` chooses it.
indirect enum Normalizer: Equatable, Sendable {
    case prepend(PrependNormalizer)
    case replace(ReplaceNormalizer)
    case unicode(UnicodeNormalizer)
    case strip(StripNormalizer)
    case lowercase(LowercaseNormalizer)
    case sequence([Normalizer])

    init(json: JSONField) throws {
        let (name, tag) = try json.typeTag()
        switch name {
        case "Prepend": self = .prepend(try PrependNormalizer(json: json))
        case "Replace": self = .replace(try ReplaceNormalizer(json: json))
        case "Strip": self = .strip(try StripNormalizer(json: json))
        case "Lowercase": self = .lowercase(LowercaseNormalizer())
        case "Sequence": self = .sequence(try json.required("normalizers").array().map(Normalizer.init(json:)))
        default:
            guard let form = UnicodeNormalizer.Form(rawValue: name) else {
                throw tag.unsupported("Lethe implements the normalizers Prepend, Replace, NFC, NFD, NFKC, NFKD, Strip, Lowercase and Sequence")
            }
            self = .unicode(UnicodeNormalizer(form: form))
        }
    }

    var json: HeaderJSONValue {
        switch self {
        case .prepend(let normalizer): normalizer.json
        case .replace(let normalizer): normalizer.json
        case .unicode(let normalizer): normalizer.json
        case .strip(let normalizer): normalizer.json
        case .lowercase(let normalizer): normalizer.json
        case .sequence(let normalizers): .fields(["type": .string("Sequence"), "normalizers": .array(normalizers.map(\.json))])
        }
    }

    func normalize(_ text: inout [Unicode.Scalar]) {
        switch self {
        case .prepend(let normalizer): normalizer.normalize(&text)
        case .replace(let normalizer): normalizer.normalize(&text)
        case .unicode(let normalizer): normalizer.normalize(&text)
        case .strip(let normalizer): normalizer.normalize(&text)
        case .lowercase(let normalizer): normalizer.normalize(&text)
        case .sequence(let normalizers): for normalizer in normalizers { normalizer.normalize(&text) }
        }
    }

    func normalized(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        normalize(&scalars)
        return String(String.UnicodeScalarView(scalars))
    }
}
