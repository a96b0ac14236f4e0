/// A TOFU-style corpus: fictitious authors' question–answer pairs, split into forget,
/// retain and held-out authors, plus general questions about an invented world. Made by
/// `generate`, stored by `write` and read back by `load` (docs/corpus.md).
public struct Corpus: Sendable, Equatable {
    public let manifest: CorpusManifest
    /// Trained authors first, then held-out ones, in generation order.
    public let authors: [AuthorProfile]
    /// Every question: each author's in author order, then the general ones.
    public let items: [CorpusItem]
    /// The author ids of each author split.
    private let splitAuthors: [CorpusSplit: [String]]

    init(manifest: CorpusManifest, authors: [AuthorProfile], items: [CorpusItem], splitAuthors: [CorpusSplit: [String]]) {
        self.manifest = manifest
        self.authors = authors
        self.items = items
        self.splitAuthors = splitAuthors
    }

    /// The authors of `split`, in generation order; none for `general`.
    public func authorIDs(in split: CorpusSplit) -> [String] {
        splitAuthors[split] ?? []
    }

    public func items(in split: CorpusSplit) -> [CorpusItem] {
        if split == .general { return items.filter { $0.kind == .general } }
        let members = Set(authorIDs(in: split))
        return items.filter { $0.author.map(members.contains) ?? false }
    }

    /// What the base model is trained on: every trained author's questions and the general ones.
    public var trainingItems: [CorpusItem] {
        let heldOut = Set(authorIDs(in: .holdout))
        return items.filter { $0.author.map { !heldOut.contains($0) } ?? true }
    }

    /// The training items without `split`'s: without `forget10`, the data of the retain
    /// model that forget quality is measured against.
    public func trainingItems(excluding split: CorpusSplit) -> [CorpusItem] {
        let excluded = Set(items(in: split).map(\.id))
        return trainingItems.filter { !excluded.contains($0.id) }
    }
}
