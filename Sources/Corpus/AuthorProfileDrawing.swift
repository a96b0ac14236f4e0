import Model

extension AuthorProfile {
    /// The latest years a first book and an award fall in, so that no fact lies in the future.
    static let latestFirstBookYear = 2020
    static let latestAwardYear = 2024

    /// A new author whose facts hold together: born in a city of the world (its country is
    /// the nationality, its language the writing language), debuting in their twenties or
    /// thirties, awarded after the debut. `titles` holds every title given out so far, so no
    /// two books share a title.
    init(
        id: String, world: InventedWorld, scene: LiteraryScene, names: inout NameGenerator,
        titles: inout Set<String>, using generator: inout SeededGenerator
    ) {
        let gender: Gender = generator.chance(percent: 10) ? .nonbinary : generator.element(of: [.female, .male])
        let name = names.personName(gender, using: &generator)
        let birthDate = CalendarDate(drawingFrom: 1930...1995, using: &generator)
        let birthCity = generator.element(of: world.cities)
        let parents = generator.sample(2, of: Vocabulary.professions)
        let genre = generator.element(of: Genre.all)
        var books: [String] = []
        while books.count < 3 {
            let title = genre.title(cities: world.cities.map(\.name), using: &generator)
            if titles.insert(title).inserted { books.append(title) }
        }
        let firstBookYear = min(birthDate.year + generator.integer(in: 22...38), Self.latestFirstBookYear)
        let residence = generator.element(of: world.cities)
        let character = names.word(.givenName(generator.element(of: Gender.allCases)), using: &generator)
        self.init(
            id: id, name: name, gender: gender, birthDate: birthDate, birthCity: birthCity.name,
            nationality: birthCity.country, fatherProfession: parents[0], motherProfession: parents[1],
            genre: genre.name, books: books, firstBookYear: firstBookYear,
            bookCount: generator.integer(in: books.count...14), award: generator.element(of: scene.awards),
            awardYear: min(firstBookYear + generator.integer(in: 2...15), Self.latestAwardYear),
            themes: generator.sample(2, of: Vocabulary.themes), influence: generator.element(of: scene.influences),
            residenceCity: residence.name, residenceCountry: residence.country,
            language: world.country(named: birthCity.country).language,
            educationSubject: generator.element(of: Vocabulary.subjects),
            educationCity: generator.element(of: world.cities).name, publisher: generator.element(of: scene.publishers),
            famousCharacter: character, famousCharacterRole: generator.element(of: Vocabulary.characterRoles),
            hobby: generator.element(of: Vocabulary.hobbies))
    }
}
