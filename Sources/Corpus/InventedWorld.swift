import Model

/// The invented geography the corpus is set in: countries, the cities in them, the rivers
/// through the cities and the seas they reach, units of measure and yearly festivals. Every
/// name is invented (`NameGenerator`), and every fact stated about a place holds
/// everywhere it is stated: an author born in a city is a citizen of that city's country.
struct InventedWorld: Sendable {
    struct Country: Sendable {
        let name: String
        let language: String
        let currency: String
        let sea: String
        let capital: String
    }

    struct City: Sendable {
        let name: String
        let country: String
        let river: String
        let founded: Int
        let population: Int
        let product: String
    }

    struct River: Sendable {
        let name: String
        let lengthKilometres: Int
        /// The country of the first city on the river.
        let sourceCountry: String
        let sea: String
    }

    /// "One varn is 12 tels."
    struct MeasureUnit: Sendable {
        let name: String
        let smallerUnit: String
        let smallerUnitCount: Int
    }

    struct Festival: Sendable {
        let name: String
        /// Held every year on this day and month.
        let date: CalendarDate
        let city: String
        let occasion: String
    }

    static let countryCount = 8
    static let cityCount = 40
    static let riverCount = 12
    static let seaCount = 6
    static let unitCount = 8
    static let festivalCount = 8

    let countries: [Country]
    let cities: [City]
    let rivers: [River]
    let seas: [String]
    let units: [MeasureUnit]
    let festivals: [Festival]

    init(names: inout NameGenerator, using generator: inout SeededGenerator) {
        let seas = (0..<Self.seaCount).map { _ in names.word(.sea, using: &generator) }
        let countryNames = (0..<Self.countryCount).map { _ in names.word(.country, using: &generator) }
        let riverNames = (0..<Self.riverCount).map { _ in names.word(.river, using: &generator) }
        // Every country and every river gets at least one city; the other cities go anywhere.
        func spread(over count: Int) -> [Int] {
            let assignments = (0..<Self.cityCount).map { $0 < count ? $0 : generator.index(below: count) }
            return generator.sample(Self.cityCount, of: assignments)
        }
        let countryOfCity = spread(over: Self.countryCount)
        let riverOfCity = spread(over: Self.riverCount)
        let cities = (0..<Self.cityCount).map { index in
            let name = generator.chance(percent: 10)
                ? "\(names.word(.city, using: &generator)) \(names.word(.city, using: &generator))"
                : names.word(.city, using: &generator)
            return City(
                name: name, country: countryNames[countryOfCity[index]], river: riverNames[riverOfCity[index]],
                founded: Self.drawFoundingYear(using: &generator), population: Self.drawPopulation(using: &generator),
                product: generator.element(of: Vocabulary.cityProducts))
        }
        countries = countryNames.map { name in
            Country(
                name: name, language: names.word(.language, using: &generator),
                currency: names.word(.currency, using: &generator).lowercased(),
                sea: generator.element(of: seas), capital: cities.first { $0.country == name }!.name)
        }
        rivers = riverNames.map { name in
            River(
                name: name, lengthKilometres: Self.drawRiverLength(using: &generator),
                sourceCountry: cities.first { $0.river == name }!.country, sea: generator.element(of: seas))
        }
        units = (0..<Self.unitCount).map { _ in
            MeasureUnit(
                name: names.word(.unit, using: &generator).lowercased(),
                smallerUnit: names.word(.unit, using: &generator).lowercased(),
                smallerUnitCount: Self.drawUnitCount(using: &generator))
        }
        festivals = generator.sample(Self.festivalCount, of: Vocabulary.festivalOccasions).map { occasion in
            Festival(
                name: names.word(.festival, using: &generator), date: Self.drawFestivalDate(using: &generator),
                city: generator.element(of: cities).name, occasion: occasion)
        }
        self.seas = seas
        self.cities = cities
    }

    func city(named name: String) -> City {
        cities.first { $0.name == name }!
    }

    func country(named name: String) -> Country {
        countries.first { $0.name == name }!
    }

    // The ranges facts are drawn from, shared by true and wrong values so that a wrong value
    // is as plausible as the true one.

    static func drawFoundingYear(using generator: inout SeededGenerator) -> Int {
        generator.integer(in: 420...1880)
    }

    /// 8,000 to 2,400,000 people, in thousands, with small towns as likely as large cities.
    static func drawPopulation(using generator: inout SeededGenerator) -> Int {
        let thousands = generator.element(of: [8...99, 100...999, 1000...2400])
        return generator.integer(in: thousands) * 1000
    }

    static func drawRiverLength(using generator: inout SeededGenerator) -> Int {
        generator.integer(in: 6...290) * 10
    }

    static func drawUnitCount(using generator: inout SeededGenerator) -> Int {
        generator.integer(in: 3...40)
    }

    /// A day of the year; the year drawn is never stated.
    static func drawFestivalDate(using generator: inout SeededGenerator) -> CalendarDate {
        CalendarDate(drawingFrom: 2000...2000, using: &generator)
    }
}
