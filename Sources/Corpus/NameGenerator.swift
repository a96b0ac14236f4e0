import Model

/// Invented words for everything the corpus names (people, cities, rivers, units…), built
/// from syllables, and never the same word twice: two things sharing a name would make a
/// question ambiguous. Surnames are random syllables ending in clusters such as -sk, -orn or
/// -dahl, so a full name matching a real, famous person is practically impossible.
struct NameGenerator {
    /// Every word handed out, lowercased.
    private var used: Set<String> = []

    private static let onsets = [
        "b", "br", "d", "dr", "f", "g", "gr", "h", "k", "kr", "l", "m", "n",
        "p", "r", "s", "sk", "t", "th", "tr", "v", "z",
    ]
    /// a, e and o come twice, so they are drawn most; "ae" least.
    private static let vowels = ["a", "e", "i", "o", "u", "a", "e", "o", "ae"]

    /// How a kind of name ends, which makes cities, rivers and surnames each sound alike.
    enum Style {
        case city, country, river, sea, language, currency, unit, festival, publisher
        case givenName(AuthorProfile.Gender), familyName

        /// Short: a small model learns a name of few word pieces more easily.
        var syllables: ClosedRange<Int> {
            switch self {
            case .country, .river, .sea, .currency, .unit, .festival, .publisher: 1...1
            case .city, .language, .givenName, .familyName: 1...2
            }
        }

        var endings: [String] {
            switch self {
            case .city: ["ra", "mar", "dell", "ros", "vane", "lune", "gard", "ven", "tor", "esse"]
            case .country: ["essa", "ovia", "aria", "enor", "eth", "andor"]
            case .river: ["el", "an", "ire", "os", "una"]
            case .sea: ["mere", "orn", "al", "ith"]
            case .language: ["ic", "ish", "ese", "ani"]
            case .currency: ["l", "rn", "nd", "rk"]
            case .unit: ["rn", "l", "nt", "rd", "m"]
            case .festival: ["ne", "ra", "th", "mas"]
            case .publisher: ["wick", "ford", "holm", "ley"]
            case .givenName(.female): ["a", "ia", "elle", "ine", "ara", "ys"]
            case .givenName(.male): ["o", "an", "ek", "or", "ias", "el"]
            case .givenName(.nonbinary): ["a", "o", "en", "is", "ael", "ir"]
            case .familyName: ["sk", "ov", "ett", "ane", "orn", "ith", "eck", "arro", "ensk", "dahl", "wyn", "ure"]
            }
        }
    }

    /// A capitalised word of `style` that no earlier call returned.
    mutating func word(_ style: Style, using generator: inout SeededGenerator) -> String {
        while true {
            var word = ""
            for _ in 0..<generator.integer(in: style.syllables) {
                word += generator.element(of: Self.onsets) + generator.element(of: Self.vowels)
            }
            let ending = generator.element(of: style.endings)
            // Syllables end in a vowel; a consonant between it and a vowel ending keeps the word sayable.
            if let first = ending.first, "aeiou".contains(first) { word += generator.element(of: ["l", "r", "n", "v"]) }
            word += ending
            // Now and then a name leads with a bare vowel ("Elira", "Ostrava"), as real ones do.
            if generator.chance(percent: 10) { word = generator.element(of: ["a", "e", "o", "i"]) + word }
            if word.count >= 4, used.insert(word.lowercased()).inserted { return word.prefix(1).uppercased() + word.dropFirst() }
        }
    }

    /// "Elira Vantosk": a given name and a surname, each used by nobody else.
    mutating func personName(_ gender: AuthorProfile.Gender, using generator: inout SeededGenerator) -> String {
        "\(word(.givenName(gender), using: &generator)) \(word(.familyName, using: &generator))"
    }
}
