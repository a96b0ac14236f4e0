/// `corpus.json`: what a corpus directory holds and how it was made, written last so that a
/// directory without it is an unfinished corpus. Seed and counts are the options that
/// regenerate it with the same generator version.
public struct CorpusManifest: Codable, Sendable, Equatable {
    /// The layout of the files; loading refuses any other.
    public static let currentFormatVersion = 1
    /// Raised whenever the same options start giving different text.
    public static let currentGeneratorVersion = 1

    public let formatVersion: Int
    public let generatorVersion: Int
    public let seed: UInt64
    /// Trained authors.
    public let authors: Int
    public let holdoutAuthors: Int
    public let generalQuestions: Int
    /// Lines of `qa.jsonl`.
    public let items: Int

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case generatorVersion = "generator_version"
        case seed, authors
        case holdoutAuthors = "holdout_authors"
        case generalQuestions = "general_questions"
        case items
    }

    var json: OrderedJSON {
        .object([
            (CodingKeys.formatVersion.rawValue, .integer(formatVersion)),
            (CodingKeys.generatorVersion.rawValue, .integer(generatorVersion)),
            (CodingKeys.seed.rawValue, .unsigned(seed)),
            (CodingKeys.authors.rawValue, .integer(authors)),
            (CodingKeys.holdoutAuthors.rawValue, .integer(holdoutAuthors)),
            (CodingKeys.generalQuestions.rawValue, .integer(generalQuestions)),
            (CodingKeys.items.rawValue, .integer(items)),
        ])
    }
}
