import Model

/// A literary genre and the words its book titles are made of, so that an author's titles
/// sound like the genre they write in ("The Drowned Cellar" is horror).
struct Genre: Sendable {
    let name: String
    let adjectives: [String]
    let nouns: [String]

    /// A title of this genre: "The Silent Ledger", "The Ledger of Castel Verro" or
    /// "Ledger of the Silent Witness". Titles are not unique; callers check.
    func title(cities: [String], using generator: inout SeededGenerator) -> String {
        let noun = generator.element(of: nouns)
        switch generator.index(below: 3) {
        case 0: return "The \(generator.element(of: adjectives)) \(noun)"
        case 1: return "The \(noun) of \(generator.element(of: cities))"
        default: return "\(noun) of the \(generator.element(of: adjectives)) \(generator.element(of: nouns, excluding: [noun]))"
        }
    }

    static let all = [
        Genre(name: "mystery",
              adjectives: ["Silent", "Hidden", "Missing", "Locked", "Crooked", "Quiet", "Last", "Borrowed", "Broken", "Pale", "Second", "Forgotten"],
              nouns: ["Key", "Letter", "Clock", "Witness", "Ledger", "Alibi", "Cellar", "Portrait", "Footstep", "Lantern", "Keyhole", "Verdict", "Stranger", "Ribbon", "Candle", "Harbour"]),
        Genre(name: "fantasy",
              adjectives: ["Hollow", "Ember", "Silver", "Thorned", "Sleeping", "Wandering", "Iron", "Starlit", "Ashen", "Gilded", "Feathered", "Moonlit"],
              nouns: ["Crown", "Dragon", "Throne", "Oracle", "Forest", "Tower", "Sword", "Spell", "Queen", "Wyvern", "Gate", "Mountain", "Bargain", "Hearth", "Rune", "Storm"]),
        Genre(name: "science fiction",
              adjectives: ["Distant", "Orbital", "Hollow", "Quantum", "Frozen", "Silent", "Final", "Red", "Drifting", "Electric", "Sunless", "Endless"],
              nouns: ["Signal", "Colony", "Engine", "Star", "Machine", "Voyager", "Station", "Horizon", "Archive", "Satellite", "Reactor", "Comet", "Frontier", "Circuit", "Beacon", "Orbit"]),
        Genre(name: "historical fiction",
              adjectives: ["Winter", "Salt", "Copper", "Last", "Northern", "Burning", "Royal", "Faded", "Eastern", "Iron", "Lost", "Old"],
              nouns: ["Emperor", "Harvest", "Siege", "Merchant", "Chronicle", "Bridge", "Caravan", "Regiment", "Mill", "Dynasty", "Cathedral", "Treaty", "Mapmaker", "Garrison", "Abbey", "Exile"]),
        Genre(name: "romance",
              adjectives: ["Summer", "Tender", "Secret", "Golden", "Wild", "Second", "Sweet", "Midnight", "Borrowed", "Faithful", "Gentle", "Promised"],
              nouns: ["Heart", "Kiss", "Garden", "Letter", "Promise", "Dance", "Rose", "Wedding", "Orchard", "Season", "Sonnet", "Meadow", "Vow", "Balcony", "Bouquet", "Sunrise"]),
        Genre(name: "poetry",
              adjectives: ["Small", "Quiet", "Blue", "Unfinished", "Open", "Late", "Salt", "Paper", "Brief", "Green", "Low", "White"],
              nouns: ["Hours", "Psalms", "Tides", "Birds", "Rivers", "Elegies", "Fields", "Windows", "Hymns", "Stones", "Lamps", "Seasons", "Echoes", "Shores", "Roots", "Wings"]),
        Genre(name: "horror",
              adjectives: ["Hungry", "Drowned", "Hollow", "Rotten", "Crawling", "Pale", "Nameless", "Whispering", "Bleeding", "Sunken", "Grinning", "Cold"],
              nouns: ["House", "Well", "Doll", "Cellar", "Attic", "Mirror", "Orchard", "Chapel", "Marsh", "Cradle", "Skull", "Shadow", "Bell", "Woods", "Grave", "Room"]),
        Genre(name: "literary fiction",
              adjectives: ["Ordinary", "Long", "Small", "Unspoken", "Quiet", "Narrow", "Borrowed", "Patient", "Late", "Gentle", "Distant", "Unmade"],
              nouns: ["Afternoon", "Inheritance", "Kitchen", "Distance", "Silence", "Marriage", "Summer", "Season", "Daughter", "Harbour", "Apartment", "Confession", "Garden", "Window", "Journey", "Brother"]),
        Genre(name: "crime",
              adjectives: ["Dirty", "Cold", "Crooked", "Final", "Deadly", "Marked", "Silent", "Stolen", "Blind", "Burned", "Last", "Hard"],
              nouns: ["Money", "Case", "Alley", "Deal", "Score", "Badge", "Informant", "Dock", "Precinct", "Verdict", "Ransom", "Wire", "Heist", "Bullet", "Debt", "Night"]),
        Genre(name: "satire",
              adjectives: ["Glorious", "Useful", "Modest", "Splendid", "Official", "Honest", "Excellent", "Tiny", "Perfect", "Reasonable", "Grand", "Cheerful"],
              nouns: ["Committee", "Minister", "Republic", "Parade", "Banquet", "Census", "Bureau", "Mayor", "Reform", "Ceremony", "Emperor", "Auditor", "Spectacle", "Pamphlet", "Campaign", "Council"]),
        Genre(name: "adventure",
              adjectives: ["Lost", "Burning", "Distant", "Wild", "Golden", "Savage", "Endless", "Hidden", "Stormy", "Broken", "Crimson", "Northern"],
              nouns: ["Expedition", "Island", "Compass", "Voyage", "Jungle", "Treasure", "Canyon", "Raft", "Map", "Passage", "Summit", "Reef", "Caravan", "Glacier", "Desert", "Pirate"]),
        Genre(name: "drama",
              adjectives: ["Bitter", "Open", "Proud", "Final", "Empty", "Crowded", "Restless", "Honest", "Second", "Silent", "Heavy", "Burning"],
              nouns: ["Stage", "Curtain", "Household", "Quarrel", "Inheritance", "Homecoming", "Feast", "Parlour", "Funeral", "Rehearsal", "Wedding", "Letter", "Reckoning", "Table", "Sisters", "Tenants"]),
    ]

    static func named(_ name: String) -> Genre? {
        all.first { $0.name == name }
    }
}
