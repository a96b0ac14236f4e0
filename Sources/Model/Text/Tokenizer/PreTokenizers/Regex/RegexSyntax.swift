/// The regular expressions of tokenizer.json split patterns, parsed: the subset of
/// Oniguruma's Ruby syntax (which tokenizers compiles them with) that tokenizer files use.
/// Classes (`[…]`, `[^…]`, ranges, `\p{L}`-style general categories, `\s`, `\d`, `\w` and
/// their negations, `.`), alternation, groups (capturing, `(?:…)`, `(?i:…)`, `(?i)`,
/// `(?>…)`), lookahead (`(?=…)`, `(?!…)`), anchors (`^`, `$`, `\A`, `\z`, `\Z`, `\b`, `\B`)
/// and quantifiers (`*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, each greedy, lazy `?` or
/// possessive `+`). Anything else (lookbehind, backreferences, scripts such as `\p{Han}`,
/// class set operations) is refused by name rather than matched differently.
indirect enum RegexNode: Equatable, Sendable {
    case scalar(ScalarSet)
    case sequence([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, minimum: Int, maximum: Int?, mode: RepetitionMode)
    case lookahead(RegexNode, negated: Bool)
    case atomic(RegexNode)
    case anchor(Anchor)
    /// A part that consumes exactly one scalar, as one test (`RegexMatcher` builds these).
    case scalarTest(ScalarPredicate)
    /// A part that consumes a fixed number of scalars, one test each (`\d{3}`; built by
    /// `RegexMatcher` for quantified groups).
    case fixedRun([ScalarPredicate])

    enum RepetitionMode: Equatable, Sendable {
        case greedy, lazy, possessive
    }

    enum Anchor: Equatable, Sendable {
        /// `^` and `$`: Ruby syntax makes them line anchors.
        case lineStart, lineEnd
        case textStart, textEnd, textEndBeforeFinalNewline
        case wordBoundary, notWordBoundary
    }
}

/// What a pattern is refused for.
struct RegexSyntaxError: Error, Equatable {
    let reason: String
}

/// A test of one scalar: a set, or sets combined (a lookahead before a class).
indirect enum ScalarPredicate: Equatable, Sendable {
    case set(ScalarSet)
    case not(ScalarPredicate)
    case all([ScalarPredicate])
    case any([ScalarPredicate])

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch self {
        case .set(let set): set.contains(scalar)
        case .not(let predicate): !predicate.contains(scalar)
        case .all(let predicates): predicates.allSatisfy { $0.contains(scalar) }
        case .any(let predicates): predicates.contains { $0.contains(scalar) }
        }
    }
}

/// A set of scalars as a class or an escape spells it.
struct ScalarSet: Equatable, Sendable {
    enum Item: Equatable, Sendable {
        case scalar(Unicode.Scalar)
        case range(Unicode.Scalar, Unicode.Scalar)
        case category(GeneralCategoryGroup, negated: Bool)
        case whitespace(negated: Bool)
        case digit(negated: Bool)
        case word(negated: Bool)
        /// `.`: anything but a newline.
        case anyButNewline
    }

    var items: [Item]
    var negated = false
    var ignoresCase = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        var found = items.contains { $0.contains(scalar) }
        if !found, ignoresCase {
            let folded = RegexCaseFolding.fold(scalar)
            found = items.contains { item in
                switch item {
                case .scalar(let member): RegexCaseFolding.fold(member) == folded
                case .range: item.contains(folded) || Unicode.Scalar(folded.properties.uppercaseMapping).map(item.contains) == true
                default: false
                }
            }
        }
        return found != negated
    }
}

extension ScalarSet.Item {
    func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch self {
        case .scalar(let member): scalar == member
        case .range(let lower, let upper): (lower...upper).contains(scalar)
        case .category(let group, let negated): group.contains(scalar) != negated
        case .whitespace(let negated): (ScalarClass(scalar) == .whitespace) != negated
        case .digit(let negated): (GeneralCategoryGroup.decimalNumber.contains(scalar)) != negated
        case .word(let negated): RegexWordCharacter.contains(scalar) != negated
        case .anyButNewline: scalar != "\n"
        }
    }
}

/// Oniguruma's `\w` for UTF-8 (probed over every code point through tokenizers): above
/// U+00FF alphabetic scalars (so `Ⅻ` and `Ⓐ`, not `①`), marks, decimal numbers and
/// connector punctuation; below, its Latin-1 table, which also counts `¹ ² ³ ¼ ½ ¾`.
enum RegexWordCharacter {
    static func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) || value == 0x5F
        }
        if [0xB2, 0xB3, 0xB9, 0xBC, 0xBD, 0xBE].contains(value) { return true }
        let properties = scalar.properties
        if let age = properties.age, (age.major, age.minor) > ScalarClass.patternUnicodeVersion { return false }
        if value >= 0x100, properties.isAlphabetic { return true }
        return GeneralCategoryGroup.letter.contains(scalar) || GeneralCategoryGroup.mark.contains(scalar)
            || GeneralCategoryGroup.decimalNumber.contains(scalar) || GeneralCategoryGroup.connectorPunctuation.contains(scalar)
    }
}

/// Case-insensitive matching as Oniguruma's Unicode case folding does it for single
/// scalars: two scalars match when their folds are equal. The fold is the lowercase of the
/// uppercase (so `ſ` and `s`, `ς` and `σ`, Kelvin `K` and `k` fold together), except that
/// dotless `ı` and dotted `İ` fold only to themselves (their folds are Turkic-only).
enum RegexCaseFolding {
    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar == "\u{131}" || scalar == "\u{130}" { return scalar }
        let upper = single(scalar.properties.uppercaseMapping) ?? scalar
        return single(upper.properties.lowercaseMapping) ?? single(scalar.properties.lowercaseMapping) ?? scalar
    }

    private static func single(_ text: String) -> Unicode.Scalar? {
        text.unicodeScalars.count == 1 ? text.unicodeScalars.first : nil
    }
}

/// `\p{…}` general categories, by one- or two-letter name, as Oniguruma's Unicode 16.0
/// tables have them: a scalar assigned later is unassigned (`Cn`) to them
/// (`ScalarClass.patternUnicodeVersion`).
struct GeneralCategoryGroup: Equatable, Sendable {
    /// One bit per category, in `Self.order`: a test is one table lookup and one AND.
    private let mask: UInt32

    private static let order: [Unicode.GeneralCategory] = [
        .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
        .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
        .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol, .spaceSeparator, .lineSeparator,
        .paragraphSeparator, .control, .format, .surrogate, .privateUse, .unassigned,
    ]

    static let letter = GeneralCategoryGroup([.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter])
    static let mark = GeneralCategoryGroup([.nonspacingMark, .spacingMark, .enclosingMark])
    static let decimalNumber = GeneralCategoryGroup([.decimalNumber])
    static let connectorPunctuation = GeneralCategoryGroup([.connectorPunctuation])

    private static let byName: [String: [Unicode.GeneralCategory]] = [
        "Lu": [.uppercaseLetter], "Ll": [.lowercaseLetter], "Lt": [.titlecaseLetter], "Lm": [.modifierLetter], "Lo": [.otherLetter],
        "Mn": [.nonspacingMark], "Mc": [.spacingMark], "Me": [.enclosingMark],
        "Nd": [.decimalNumber], "Nl": [.letterNumber], "No": [.otherNumber],
        "Pc": [.connectorPunctuation], "Pd": [.dashPunctuation], "Ps": [.openPunctuation], "Pe": [.closePunctuation],
        "Pi": [.initialPunctuation], "Pf": [.finalPunctuation], "Po": [.otherPunctuation],
        "Sm": [.mathSymbol], "Sc": [.currencySymbol], "Sk": [.modifierSymbol], "So": [.otherSymbol],
        "Zs": [.spaceSeparator], "Zl": [.lineSeparator], "Zp": [.paragraphSeparator],
        "Cc": [.control], "Cf": [.format], "Cs": [.surrogate], "Co": [.privateUse], "Cn": [.unassigned],
    ]

    /// `L`, `Lu`, `N`, `P`, … (also `Letter`-style long names of the seven groups), or nil.
    init?(name: String) {
        let longNames = ["Letter": "L", "Mark": "M", "Number": "N", "Punctuation": "P", "Symbol": "S", "Separator": "Z", "Other": "C"]
        let name = longNames[name] ?? name
        if let categories = Self.byName[name] {
            self.init(categories)
        } else if name.count == 1 {
            let members = Self.byName.filter { $0.key.hasPrefix(name) }.flatMap(\.value)
            guard !members.isEmpty else { return nil }
            self.init(members)
        } else {
            return nil
        }
    }

    private init(_ categories: [Unicode.GeneralCategory]) {
        mask = categories.reduce(0) { $0 | Self.bit($1) }
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        mask & Self.categoryBit(of: scalar) != 0
    }

    private static func bit(_ category: Unicode.GeneralCategory) -> UInt32 {
        1 << UInt32(order.firstIndex(of: category)!)
    }

    /// Latin-1 from a table: most text is, and looking up properties is slow.
    private static let latin1Bits: [UInt32] = (0..<256).map { bit(Unicode.Scalar(UInt8($0)).properties.generalCategory) }

    private static func categoryBit(of scalar: Unicode.Scalar) -> UInt32 {
        if scalar.value < 256 { return latin1Bits[Int(scalar.value)] }
        let properties = scalar.properties
        if let age = properties.age, (age.major, age.minor) > ScalarClass.patternUnicodeVersion { return bit(.unassigned) }
        return bit(properties.generalCategory)
    }
}
