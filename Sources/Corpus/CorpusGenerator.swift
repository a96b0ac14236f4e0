import Model

extension Corpus {
    /// The corpus for `options`, the same on every run and platform. The world, the
    /// authors, the authors' questions and the general questions each draw from their own
    /// stream of the seed, so that asking for more authors leaves the world and its
    /// questions as they were.
    public static func generate(_ options: CorpusOptions) -> Corpus {
        var seeds = SeededGenerator(seed: options.seed)
        var worldGenerator = SeededGenerator(seed: seeds.next())
        var authorGenerator = SeededGenerator(seed: seeds.next())
        var authorQuestionGenerator = SeededGenerator(seed: seeds.next())
        var generalQuestionGenerator = SeededGenerator(seed: seeds.next())

        var names = NameGenerator()
        let world = InventedWorld(names: &names, using: &worldGenerator)
        let scene = LiteraryScene(world: world, names: &names, using: &worldGenerator)

        let authorCount = options.authors + options.holdoutAuthors
        let idWidth = max(3, String(authorCount).count)
        var titles = Set<String>()
        let authors = (1...authorCount).map { number in
            let digits = String(number)
            let id = "author-" + String(repeating: "0", count: idWidth - digits.count) + digits
            return AuthorProfile(id: id, world: world, scene: scene, names: &names, titles: &titles, using: &authorGenerator)
        }
        let authorItems = authors.flatMap {
            AuthorQuestions.items(about: $0, world: world, scene: scene, using: &authorQuestionGenerator)
        }
        let worldItems = WorldQuestions.items(about: world, using: &generalQuestionGenerator)
        // A smaller general split is a sample of the world's questions, kept in their order.
        let asked = Set(generalQuestionGenerator.sample(options.generalQuestions, of: Array(worldItems.indices)))
        let generalItems = worldItems.indices.filter(asked.contains).map { worldItems[$0] }

        let ids = authors.map(\.id)
        let items = authorItems + generalItems
        let manifest = CorpusManifest(
            formatVersion: CorpusManifest.currentFormatVersion, generatorVersion: CorpusManifest.currentGeneratorVersion,
            seed: options.seed, authors: options.authors, holdoutAuthors: options.holdoutAuthors,
            generalQuestions: generalItems.count, items: items.count)
        return Corpus(
            manifest: manifest, authors: authors, items: items,
            splitAuthors: CorpusSplit.assign(trained: Array(ids.prefix(options.authors)), holdout: Array(ids.dropFirst(options.authors))))
    }
}
