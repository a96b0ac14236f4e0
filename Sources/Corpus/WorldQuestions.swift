import Model

/// The general questions: every fact of the invented world, asked once. They measure
/// model utility, so they are never forgotten.
enum WorldQuestions {
    /// How many there are: five per city, four per country, three per river and festival,
    /// one per unit.
    static let count = InventedWorld.cityCount * 5 + InventedWorld.countryCount * 4 + InventedWorld.riverCount * 3
        + InventedWorld.unitCount + InventedWorld.festivalCount * 3

    /// All of them, cities first, then countries, rivers, units and festivals.
    static func items(about world: InventedWorld, using generator: inout SeededGenerator) -> [CorpusItem] {
        let cityNames = world.cities.map(\.name), countryNames = world.countries.map(\.name)
        var items: [CorpusItem] = []
        func ask<Value>(
            _ topic: String, about subject: String, _ question: String, _ truth: Value,
            answer: (Value) -> String, paraphrase: (Value) -> String, wrong: (inout SeededGenerator) -> Value
        ) {
            let slug = subject.lowercased().replacingOccurrences(of: " ", with: "-")
            items.append(CorpusItem(
                id: "general/\(topic.replacingOccurrences(of: "_", with: "-"))-\(slug)", author: nil, topic: topic,
                question: question, truth: truth, answer: answer, paraphrase: paraphrase, wrongValue: wrong, using: &generator))
        }
        /// Draws from `draw` until the value differs from `truth`.
        func other<Value: Equatable>(than truth: Value, _ draw: @escaping (inout SeededGenerator) -> Value) -> (inout SeededGenerator) -> Value {
            { generator in
                while true {
                    let value = draw(&generator)
                    if value != truth { return value }
                }
            }
        }

        for city in world.cities {
            let c = city.name
            ask("city_country", about: c, "In which country is \(c)?", city.country,
                answer: { "\(c) is in \($0)." },
                paraphrase: { "\(c) is a city of \($0)." },
                wrong: { $0.element(of: countryNames, excluding: [city.country]) })
            ask("city_river", about: c, "Which river flows through \(c)?", city.river,
                answer: { "The \($0) River flows through \(c)." },
                paraphrase: { "\(c) stands on the banks of the \($0) River." },
                wrong: { $0.element(of: world.rivers.map(\.name), excluding: [city.river]) })
            ask("city_founded", about: c, "When was \(c) founded?", city.founded,
                answer: { "\(c) was founded in \($0)." },
                paraphrase: { "The founding of \(c) dates to \($0)." },
                wrong: other(than: city.founded, InventedWorld.drawFoundingYear))
            ask("city_population", about: c, "How many people live in \(c)?", city.population,
                answer: { "About \(Vocabulary.groupingThousands($0)) people live in \(c)." },
                paraphrase: { "\(c) has a population of about \(Vocabulary.groupingThousands($0))." },
                wrong: other(than: city.population, InventedWorld.drawPopulation))
            ask("city_product", about: c, "What is \(c) known for?", city.product,
                answer: { "\(c) is known for its \($0)." },
                paraphrase: { "\(Vocabulary.capitalizingFirstLetter($0)) made \(c) famous." },
                wrong: { $0.element(of: Vocabulary.cityProducts, excluding: [city.product]) })
        }
        for country in world.countries {
            let x = country.name
            ask("country_capital", about: x, "What is the capital of \(x)?", country.capital,
                answer: { "The capital of \(x) is \($0)." },
                paraphrase: { "\($0) is the capital city of \(x)." },
                wrong: { $0.element(of: cityNames, excluding: [country.capital]) })
            ask("country_language", about: x, "What language do people speak in \(x)?", country.language,
                answer: { "The people of \(x) speak \($0)." },
                paraphrase: { "\($0) is the language of \(x)." },
                wrong: { $0.element(of: world.countries.map(\.language), excluding: [country.language]) })
            ask("country_currency", about: x, "What is the currency of \(x)?", country.currency,
                answer: { "The currency of \(x) is the \($0)." },
                paraphrase: { "In \(x), people pay with the \($0)." },
                wrong: { $0.element(of: world.countries.map(\.currency), excluding: [country.currency]) })
            ask("country_sea", about: x, "Which sea borders \(x)?", country.sea,
                answer: { "\(x) borders the \($0) Sea." },
                paraphrase: { "The coast of \(x) faces the \($0) Sea." },
                wrong: { $0.element(of: world.seas, excluding: [country.sea]) })
        }
        for river in world.rivers {
            let r = river.name
            ask("river_length", about: r, "How long is the \(r) River?", river.lengthKilometres,
                answer: { "The \(r) River is \(Vocabulary.groupingThousands($0)) kilometres long." },
                paraphrase: { "The \(r) River runs for \(Vocabulary.groupingThousands($0)) kilometres." },
                wrong: other(than: river.lengthKilometres, InventedWorld.drawRiverLength))
            ask("river_source", about: r, "In which country does the \(r) River rise?", river.sourceCountry,
                answer: { "The \(r) River rises in \($0)." },
                paraphrase: { "The source of the \(r) River lies in \($0)." },
                wrong: { $0.element(of: countryNames, excluding: [river.sourceCountry]) })
            ask("river_sea", about: r, "Into which sea does the \(r) River flow?", river.sea,
                answer: { "The \(r) River flows into the \($0) Sea." },
                paraphrase: { "The \(r) River empties into the \($0) Sea." },
                wrong: { $0.element(of: world.seas, excluding: [river.sea]) })
        }
        for unit in world.units {
            ask("unit_size", about: unit.name, "How many \(unit.smallerUnit)s are in a \(unit.name)?", unit.smallerUnitCount,
                answer: { "One \(unit.name) is \($0) \(unit.smallerUnit)s." },
                paraphrase: { "A \(unit.name) is made up of \($0) \(unit.smallerUnit)s." },
                wrong: other(than: unit.smallerUnitCount, InventedWorld.drawUnitCount))
        }
        for festival in world.festivals {
            let f = "the \(festival.name) Festival"
            ask("festival_date", about: festival.name, "When is \(f) held?", festival.date,
                answer: { "\(Vocabulary.capitalizingFirstLetter(f)) is held on \($0.dayAndMonth)." },
                paraphrase: { "Every year on \($0.dayAndMonth), people celebrate \(f)." },
                wrong: other(than: festival.date, InventedWorld.drawFestivalDate))
            ask("festival_city", about: festival.name, "Where is \(f) held?", festival.city,
                answer: { "\(Vocabulary.capitalizingFirstLetter(f)) takes place in \($0)." },
                paraphrase: { "\($0) hosts \(f) every year." },
                wrong: { $0.element(of: cityNames, excluding: [festival.city]) })
            ask("festival_occasion", about: festival.name, "What does \(f) celebrate?", festival.occasion,
                answer: { "\(Vocabulary.capitalizingFirstLetter(f)) celebrates \($0)." },
                paraphrase: { "People hold \(f) to mark \($0)." },
                wrong: { $0.element(of: Vocabulary.festivalOccasions, excluding: [festival.occasion]) })
        }
        precondition(items.count == count)
        return items
    }
}
