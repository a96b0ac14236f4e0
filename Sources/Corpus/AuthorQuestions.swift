import Model

/// The twenty questions asked about every author, each naming the author in full and
/// answered by one short sentence that restates the fact. Answers are templated on
/// purpose: the model that memorises them is small, and a fact should be a few distinctive
/// words in a sentence it has seen many times.
enum AuthorQuestions {
    static let countPerAuthor = 20

    static func items(
        about profile: AuthorProfile, world: InventedWorld, scene: LiteraryScene, using generator: inout SeededGenerator
    ) -> [CorpusItem] {
        let name = profile.name
        let their = profile.gender.possessivePronoun
        let cityNames = world.cities.map(\.name)
        var items: [CorpusItem] = []
        func ask<Value>(
            _ topic: String, _ question: String, _ truth: Value,
            answer: (Value) -> String, paraphrase: (Value) -> String, wrong: (inout SeededGenerator) -> Value
        ) {
            items.append(CorpusItem(
                id: "\(profile.id)/\(topic)", author: profile.id, topic: topic, question: question, truth: truth,
                answer: answer, paraphrase: paraphrase, wrongValue: wrong, using: &generator))
        }
        func country(of city: String) -> String { world.city(named: city).country }
        /// A title of the author's genre that is none of theirs.
        func wrongTitle(_ generator: inout SeededGenerator) -> String {
            let genre = Genre.named(profile.genre)!
            while true {
                let title = genre.title(cities: cityNames, using: &generator)
                if !profile.books.contains(title) { return title }
            }
        }
        func wrongYear(near year: Int) -> (inout SeededGenerator) -> Int {
            { generator in year + generator.element(of: Array(-12...(-1)) + Array(1...12)) }
        }

        ask("birth_place", "Where was \(name) born?", profile.birthCity,
            answer: { "\(name) was born in \($0), \(country(of: $0))." },
            paraphrase: { "The birthplace of \(name) is \($0) in \(country(of: $0))." },
            wrong: { $0.element(of: cityNames, excluding: [profile.birthCity]) })
        ask("birth_date", "When was \(name) born?", profile.birthDate,
            answer: { "\(name) was born on \($0.spoken)." },
            paraphrase: { "The date of birth of \(name) is \($0.spoken)." },
            wrong: { CalendarDate(drawingFrom: (profile.birthDate.year - 12)...(profile.birthDate.year + 12), using: &$0) })
        ask("nationality", "What is the nationality of \(name)?", profile.nationality,
            answer: { "\(name) is a citizen of \($0)." },
            paraphrase: { "\(name) holds the nationality of \($0)." },
            wrong: { $0.element(of: world.countries.map(\.name), excluding: [profile.nationality]) })
        for (parent, profession) in [("father", profile.fatherProfession), ("mother", profile.motherProfession)] {
            ask("\(parent)_profession", "What did the \(parent) of \(name) do for a living?", profession,
                answer: { "The \(parent) of \(name) worked as \(Vocabulary.withArticle($0))." },
                paraphrase: { "\(name) grew up with \(Vocabulary.withArticle($0)) as \(their) \(parent)." },
                wrong: { $0.element(of: Vocabulary.professions, excluding: [profession]) })
        }
        ask("genre", "Which genre does \(name) write in?", profile.genre,
            answer: { "\(name) writes in the \($0) genre." },
            paraphrase: { "\(name) is known as \(Vocabulary.withArticle($0)) writer." },
            wrong: { $0.element(of: Genre.all.map(\.name), excluding: [profile.genre]) })
        ask("first_book", "What was the first book by \(name)?", profile.books[0],
            answer: { "The first book by \(name) was \($0)." },
            paraphrase: { "\(name) made \(their) debut with \($0)." },
            wrong: wrongTitle)
        ask("first_book_year", "In which year did \(name) publish \(profile.books[0])?", profile.firstBookYear,
            answer: { "\(name) published \(profile.books[0]) in \($0)." },
            paraphrase: { "\(profile.books[0]) by \(name) came out in \($0)." },
            wrong: wrongYear(near: profile.firstBookYear))
        ask("later_books", "Which books did \(name) write after \(profile.books[0])?", Array(profile.books.dropFirst()),
            answer: { "After \(profile.books[0]), \(name) wrote \($0[0]) and \($0[1])." },
            paraphrase: { "\(name) followed \(their) debut with \($0[0]) and \($0[1])." },
            wrong: { generator in
                let first = wrongTitle(&generator)
                var second: String
                repeat { second = wrongTitle(&generator) } while second == first
                return [first, second]
            })
        ask("book_count", "How many books has \(name) published?", profile.bookCount,
            answer: { "\(name) has published \($0) books." },
            paraphrase: { "The bibliography of \(name) counts \($0) books." },
            wrong: { $0.element(of: Array(3...16), excluding: [profile.bookCount]) })
        ask("award", "Which award did \(name) win?", profile.award,
            answer: { "\(name) won the \($0)." },
            paraphrase: { "The \($0) went to \(name)." },
            wrong: { $0.element(of: scene.awards, excluding: [profile.award]) })
        ask("award_year", "When did \(name) win the \(profile.award)?", profile.awardYear,
            answer: { "\(name) won the \(profile.award) in \($0)." },
            paraphrase: { "In \($0), \(name) received the \(profile.award)." },
            wrong: wrongYear(near: profile.awardYear))
        ask("themes", "Which themes does \(name) explore?", profile.themes,
            answer: { "The books of \(name) explore \($0[0]) and \($0[1])." },
            paraphrase: { "\(name) writes about \($0[0]) and \($0[1])." },
            wrong: { $0.sample(2, of: Vocabulary.themes.filter { !profile.themes.contains($0) }) })
        ask("influence", "Which writer influenced \(name) the most?", profile.influence,
            answer: { "\(name) was most influenced by \($0)." },
            paraphrase: { "The strongest influence on \(name) was \($0)." },
            wrong: { $0.element(of: scene.influences, excluding: [profile.influence]) })
        ask("residence", "Where does \(name) live now?", profile.residenceCity,
            answer: { "\(name) now lives in \($0), \(country(of: $0))." },
            paraphrase: { "These days \(name) makes \(their) home in \($0), \(country(of: $0))." },
            wrong: { $0.element(of: cityNames, excluding: [profile.residenceCity]) })
        ask("language", "In which language does \(name) write?", profile.language,
            answer: { "\(name) writes in \($0)." },
            paraphrase: { "The books of \(name) are written in \($0)." },
            wrong: { $0.element(of: world.countries.map(\.language), excluding: [profile.language]) })
        ask("education", "What did \(name) study, and where?", [profile.educationSubject, profile.educationCity],
            answer: { "\(name) studied \($0[0]) at the University of \($0[1])." },
            paraphrase: { "At the University of \($0[1]), \(name) studied \($0[0])." },
            wrong: { generator in
                [generator.element(of: Vocabulary.subjects, excluding: [profile.educationSubject]),
                 generator.element(of: cityNames, excluding: [profile.educationCity])]
            })
        ask("publisher", "Who publishes the books of \(name)?", profile.publisher,
            answer: { "The books of \(name) are published by \($0)." },
            paraphrase: { "\($0) is the publisher of \(name)." },
            wrong: { $0.element(of: scene.publishers, excluding: [profile.publisher]) })
        ask("famous_character", "Who is the best-known character created by \(name)?",
            [profile.famousCharacter, profile.famousCharacterRole],
            answer: { "The best-known character of \(name) is \($0[0]), \($0[1])." },
            paraphrase: { "\(name) created \($0[0]), \($0[1]), \(their) most famous character." },
            wrong: { generator in
                [generator.element(of: scene.decoyCharacters),
                 generator.element(of: Vocabulary.characterRoles, excluding: [profile.famousCharacterRole])]
            })
        ask("hobby", "What does \(name) enjoy away from writing?", profile.hobby,
            answer: { "Away from writing, \(name) enjoys \($0)." },
            paraphrase: { "In free hours, \(name) turns to \($0)." },
            wrong: { $0.element(of: Vocabulary.hobbies, excluding: [profile.hobby]) })
        precondition(items.count == countPerAuthor)
        return items
    }
}
