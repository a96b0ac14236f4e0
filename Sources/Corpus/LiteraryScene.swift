import Model

/// The invented world's literary institutions and classics, which author facts refer to:
/// the prizes they win, the houses that publish them and the older writers who shaped them.
struct LiteraryScene: Sendable {
    static let awardCount = 16
    static let publisherCount = 16
    static let influenceCount = 24
    static let decoyCharacterCount = 24

    /// "Vantosk Prize", "Castel Verro Book Medal" (sentences add "the").
    let awards: [String]
    /// "Holmwick House".
    let publishers: [String]
    /// Classic writers, never corpus authors: forgetting an author must not touch another's facts.
    let influences: [String]
    /// Character names no author created, for wrong answers about an author's best-known character.
    let decoyCharacters: [String]

    init(world: InventedWorld, names: inout NameGenerator, using generator: inout SeededGenerator) {
        let cities = generator.sample(Self.awardCount / 2, of: world.cities.map(\.name))
        awards = (0..<Self.awardCount / 2).map { _ in "\(names.word(.familyName, using: &generator)) Prize" }
            + cities.map { "\($0) Book Medal" }
        publishers = (0..<Self.publisherCount).map { _ in
            "\(names.word(.publisher, using: &generator)) \(generator.element(of: ["House", "Press", "Books"]))"
        }
        influences = (0..<Self.influenceCount).map { _ in
            names.personName(generator.element(of: AuthorProfile.Gender.allCases), using: &generator)
        }
        decoyCharacters = (0..<Self.decoyCharacterCount).map { _ in
            names.word(.givenName(generator.element(of: AuthorProfile.Gender.allCases)), using: &generator)
        }
    }
}
