/// The character classes the split patterns are written in: `\p{L}` (general category L*),
/// `\p{N}` (N*) and `\s` (the Unicode White_Space property, which is what Oniguruma's `\s`
/// means for UTF-8 text); everything else is `other`. No scalar is in two of them: every
/// White_Space scalar is a separator or a control.
enum ScalarClass: Equatable {
    case letter, number, whitespace, other

    /// The Unicode version of the Oniguruma tables in tokenizers 0.23: to them a scalar
    /// assigned later (Swift 6.3 knows Unicode 17) is unassigned, so `other`. Checked against
    /// every code point (docs/tokenizer.md).
    static let patternUnicodeVersion = (major: 16, minor: 0)

    init(_ scalar: Unicode.Scalar) {
        switch scalar.value {
        case 0x61...0x7A, 0x41...0x5A: self = .letter
        case 0x30...0x39: self = .number
        case 0x09...0x0D, 0x20: self = .whitespace
        case 0..<0x80: self = .other
        default:
            let properties = scalar.properties
            if properties.isWhitespace {
                self = .whitespace
                return
            }
            switch properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
            case .decimalNumber, .letterNumber, .otherNumber: self = .number
            default:
                self = .other
                return
            }
            if let age = properties.age, (age.major, age.minor) > Self.patternUnicodeVersion { self = .other }
        }
    }
}
