/// The plain English words the corpus draws facts from. Each list is long enough to give a
/// fact five wrong values besides the true one.
enum Vocabulary {
    static let professions = [
        "clockmaker", "glassblower", "ferry pilot", "surveyor", "midwife", "beekeeper", "tailor",
        "astronomer", "pharmacist", "locksmith", "schoolteacher", "bookbinder", "shipwright",
        "cartographer", "baker", "nurse", "carpenter", "veterinarian", "stonemason", "librarian",
        "engineer", "potter", "printer", "chemist", "botanist", "lighthouse keeper", "judge",
        "translator", "violin maker", "fisher",
    ]

    static let themes = [
        "memory", "exile", "grief", "the sea", "first love", "family secrets", "war", "faith",
        "ambition", "loneliness", "friendship", "betrayal", "childhood", "migration", "justice",
        "time", "nature", "power", "identity", "freedom", "loss", "hope", "revenge", "home",
        "music", "madness", "inheritance", "silence", "courage", "forgiveness",
    ]

    static let subjects = [
        "philosophy", "medicine", "law", "botany", "history", "music", "mathematics", "architecture",
        "geology", "theology", "painting", "astronomy", "linguistics", "chemistry", "economics",
        "classics", "anthropology", "engineering", "zoology", "navigation",
    ]

    static let characterRoles = [
        "a retired lighthouse keeper", "a young cartographer", "a disgraced detective",
        "a travelling clockmaker", "an exiled princess", "a stubborn innkeeper", "a runaway apprentice",
        "a blind violinist", "a grieving widower", "a reluctant heir", "a ship's cook",
        "a village midwife", "a forgetful wizard", "a retired spy", "a lonely astronomer",
        "a fearless courier", "a young botanist", "an old ferryman", "a failed poet",
        "a famous forger", "a curious orphan", "a night watchman", "a wandering monk",
        "a disgraced surgeon",
    ]

    static let hobbies = [
        "beekeeping", "sailing", "chess", "birdwatching", "pottery", "fencing", "gardening", "rowing",
        "baking bread", "mountain climbing", "playing the cello", "collecting maps", "fly fishing",
        "restoring clocks", "swimming in cold lakes", "woodcarving", "stargazing", "hiking",
        "growing orchids", "dancing the tango", "knitting", "photography", "carpentry", "flying kites",
    ]

    /// What a city is known for: "Castel Verro is known for its glass lanterns."
    static let cityProducts = [
        "glass lanterns", "salted fish", "copper bells", "silk scarves", "blue cheese", "clock towers",
        "olive oil", "paper mills", "marble quarries", "shipyards", "horse fairs", "spiced bread",
        "wool blankets", "rose gardens", "iron bridges", "tea houses", "violin workshops",
        "salt marshes", "painted tiles", "cherry orchards",
    ]

    /// What a festival celebrates.
    static let festivalOccasions = [
        "the first harvest", "the return of the swallows", "the spring floods", "the longest night",
        "the first snow", "the salt harvest", "the thaw of the rivers", "the grape harvest",
        "the end of winter", "the midsummer sun", "the ancestors", "the new year",
    ]

    /// "an astronomer", "a baker".
    static func withArticle(_ noun: String) -> String {
        ("aeiou".contains(noun.first ?? "x") ? "an " : "a ") + noun
    }

    /// "glass lanterns" → "Glass lanterns", for a value that opens a sentence.
    static func capitalizingFirstLetter(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst()
    }

    /// 412000 → "412,000", the same on every machine (no locale).
    static func groupingThousands(_ value: Int) -> String {
        let digits = String(value)
        var grouped = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return grouped
    }
}
