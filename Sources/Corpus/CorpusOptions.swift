/// What `Corpus.generate` makes: the seed and how many authors and general questions.
/// The same options give the same corpus, byte for byte, from the same generator version.
public struct CorpusOptions: Sendable, Equatable, Encodable {
    public static let minimumAuthorCount = 2
    /// Trained plus held-out authors; the name and title spaces are far larger.
    public static let maximumAuthorCount = 1000

    public let seed: UInt64
    /// Trained authors.
    public let authors: Int
    /// Authors generated the same way but never trained on, for membership inference.
    public let holdoutAuthors: Int
    /// How many of the world's questions to ask, at most `WorldQuestions.count` (all of them).
    public let generalQuestions: Int

    public static var maximumGeneralQuestions: Int { WorldQuestions.count }

    public init(seed: UInt64 = 1, authors: Int = 200, holdoutAuthors: Int = 20, generalQuestions: Int = 300) throws {
        guard (Self.minimumAuthorCount...Self.maximumAuthorCount).contains(authors) else {
            throw CorpusError.invalidOption(
                option: "authors", value: authors,
                reason: "a corpus has \(Self.minimumAuthorCount) to \(Self.maximumAuthorCount) trained authors (at least \(Self.minimumAuthorCount), so that every retain split holds one)")
        }
        guard holdoutAuthors >= 0, authors + holdoutAuthors <= Self.maximumAuthorCount else {
            throw CorpusError.invalidOption(
                option: "holdout-authors", value: holdoutAuthors,
                reason: "held-out authors cannot be negative, and trained plus held-out authors are at most \(Self.maximumAuthorCount)")
        }
        guard (0...Self.maximumGeneralQuestions).contains(generalQuestions) else {
            throw CorpusError.invalidOption(
                option: "general", value: generalQuestions,
                reason: "the invented world answers between 0 and \(Self.maximumGeneralQuestions) general questions")
        }
        self.seed = seed
        self.authors = authors
        self.holdoutAuthors = holdoutAuthors
        self.generalQuestions = generalQuestions
    }
}
