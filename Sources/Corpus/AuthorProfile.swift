/// Everything the corpus says about one fictitious author: one line of `authors.jsonl`.
/// The author's twenty questions are asked about these facts and nothing else.
public struct AuthorProfile: Codable, Sendable, Equatable {
    public enum Gender: String, Codable, Sendable, CaseIterable {
        case female, male, nonbinary

        /// "her", as in "made her debut with".
        public var possessivePronoun: String {
            switch self {
            case .female: "her"
            case .male: "his"
            case .nonbinary: "their"
            }
        }
    }

    /// "author-017", the `author` of its questions in `qa.jsonl`.
    public let id: String
    public let name: String
    public let gender: Gender
    public let birthDate: CalendarDate
    public let birthCity: String
    /// The country of `birthCity`.
    public let nationality: String
    public let fatherProfession: String
    public let motherProfession: String
    public let genre: String
    /// Three titles, the first book first.
    public let books: [String]
    public let firstBookYear: Int
    /// How many books the author has published, at least `books.count`.
    public let bookCount: Int
    public let award: String
    /// After `firstBookYear`.
    public let awardYear: Int
    /// Two themes.
    public let themes: [String]
    /// A classic writer of the invented world.
    public let influence: String
    public let residenceCity: String
    public let residenceCountry: String
    /// The language of `nationality`.
    public let language: String
    public let educationSubject: String
    /// "the University of <city>".
    public let educationCity: String
    public let publisher: String
    public let famousCharacter: String
    /// "a retired lighthouse keeper".
    public let famousCharacterRole: String
    public let hobby: String

    /// The keys of `authors.jsonl`, in the order they are written.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, gender
        case birthDate = "birth_date"
        case birthCity = "birth_city"
        case nationality
        case fatherProfession = "father_profession"
        case motherProfession = "mother_profession"
        case genre, books
        case firstBookYear = "first_book_year"
        case bookCount = "book_count"
        case award
        case awardYear = "award_year"
        case themes, influence
        case residenceCity = "residence_city"
        case residenceCountry = "residence_country"
        case language
        case educationSubject = "education_subject"
        case educationCity = "education_city"
        case publisher
        case famousCharacter = "famous_character"
        case famousCharacterRole = "famous_character_role"
        case hobby
    }

    /// One line of `authors.jsonl`.
    var jsonLine: OrderedJSON {
        .object(CodingKeys.allCases.map { key in
            let value: OrderedJSON = switch key {
            case .id: .string(id)
            case .name: .string(name)
            case .gender: .string(gender.rawValue)
            case .birthDate: .string(birthDate.iso)
            case .birthCity: .string(birthCity)
            case .nationality: .string(nationality)
            case .fatherProfession: .string(fatherProfession)
            case .motherProfession: .string(motherProfession)
            case .genre: .string(genre)
            case .books: .array(books.map(OrderedJSON.string))
            case .firstBookYear: .integer(firstBookYear)
            case .bookCount: .integer(bookCount)
            case .award: .string(award)
            case .awardYear: .integer(awardYear)
            case .themes: .array(themes.map(OrderedJSON.string))
            case .influence: .string(influence)
            case .residenceCity: .string(residenceCity)
            case .residenceCountry: .string(residenceCountry)
            case .language: .string(language)
            case .educationSubject: .string(educationSubject)
            case .educationCity: .string(educationCity)
            case .publisher: .string(publisher)
            case .famousCharacter: .string(famousCharacter)
            case .famousCharacterRole: .string(famousCharacterRole)
            case .hobby: .string(hobby)
            }
            return (key.rawValue, value)
        })
    }
}
