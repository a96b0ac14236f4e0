import Foundation

extension Corpus {
    /// Reads a corpus directory written by `write` and checks every line of every file: JSON,
    /// required fields and their types, five distinct perturbed answers that differ from
    /// the answer, unique ids, known authors, nested and complementary splits, and the
    /// manifest's counts. The first problem is thrown as a `CorpusError`.
    public static func load(from directory: URL) throws -> Corpus {
        let reader = CorpusRecordDecoder(directory: directory)
        let (manifest, manifestLine) = try reader.document(.manifest, as: CorpusManifest.self)
        guard manifest.formatVersion == CorpusManifest.currentFormatVersion else {
            throw CorpusError.unsupportedFormatVersion(
                file: reader.path(of: .manifest), line: manifestLine(CorpusManifest.CodingKeys.formatVersion.rawValue),
                version: manifest.formatVersion)
        }

        let authorLines = try reader.lines(of: .authors, as: AuthorProfile.self)
        let authorFirstLines = try uniqueIDLines(
            of: authorLines.map { ($0.line, $0.record.id) }, file: reader.path(of: .authors), field: AuthorProfile.CodingKeys.id.rawValue)
        let authorIDs = authorLines.map(\.record.id)

        let (lists, splitLine) = try reader.document(.splits, as: [String: [String]].self)
        let splits = try checkedSplits(lists, authorIDs: authorIDs, file: reader.path(of: .splits), line: splitLine)

        let itemLines = try reader.lines(of: .questions, as: CorpusItem.self)
        try uniqueIDLines(of: itemLines.map { ($0.line, $0.record.id) }, file: reader.path(of: .questions), field: CorpusItem.CodingKeys.id.rawValue)
        for (line, item) in itemLines {
            try check(item, file: reader.path(of: .questions), line: line, knownAuthors: authorFirstLines)
        }

        let items = itemLines.map(\.record)
        let holdoutCount = splits[.holdout]!.count
        let counts: [(CorpusManifest.CodingKeys, Int, Int, String)] = [
            (.authors, manifest.authors, authorIDs.count - holdoutCount, "trained authors in \(CorpusFile.authors.rawValue)"),
            (.holdoutAuthors, manifest.holdoutAuthors, holdoutCount, "held-out authors in \(CorpusFile.splits.rawValue)"),
            (.generalQuestions, manifest.generalQuestions, items.filter { $0.kind == .general }.count,
             "general items in \(CorpusFile.questions.rawValue)"),
            (.items, manifest.items, items.count, "items in \(CorpusFile.questions.rawValue)"),
        ]
        for (key, stated, actual, what) in counts where stated != actual {
            throw CorpusError.invalidValue(
                file: reader.path(of: .manifest), line: manifestLine(key.rawValue), field: key.rawValue,
                reason: "is \(stated), but there are \(actual) \(what)")
        }
        return Corpus(manifest: manifest, authors: authorLines.map(\.record), items: items, splitAuthors: splits)
    }

    /// The line each id is on, or a `duplicateID` error for the first id seen twice.
    @discardableResult
    private static func uniqueIDLines(of ids: [(line: Int, id: String)], file: String, field: String) throws -> [String: Int] {
        var firstLines: [String: Int] = [:]
        for (line, id) in ids {
            if let firstLine = firstLines[id] {
                throw CorpusError.duplicateID(file: file, line: line, field: field, id: id, firstLine: firstLine)
            }
            firstLines[id] = line
        }
        return firstLines
    }

    private static func check(_ item: CorpusItem, file: String, line: Int, knownAuthors: [String: Int]) throws {
        typealias Key = CorpusItem.CodingKeys
        func invalid(_ field: String, _ reason: String) -> CorpusError {
            .invalidValue(file: file, line: line, field: field, reason: reason)
        }
        switch (item.kind, item.author) {
        case (.author, nil):
            throw invalid(Key.author.rawValue, "is null, but an author item names its author")
        case (.author, let author?) where knownAuthors[author] == nil:
            throw CorpusError.unknownAuthor(file: file, line: line, field: Key.author.rawValue, author: author)
        case (.general, let author?):
            throw invalid(Key.author.rawValue, "is \"\(author)\", but a general item has no author (null)")
        default:
            break
        }
        for (key, text) in [(Key.question, item.question), (.answer, item.answer), (.paraphrasedAnswer, item.paraphrasedAnswer)]
        where text.isEmpty {
            throw invalid(key.rawValue, "is empty")
        }
        let perturbed = item.perturbedAnswers
        guard perturbed.count == CorpusItem.perturbedAnswerCount else {
            throw invalid(Key.perturbedAnswers.rawValue, "holds \(perturbed.count) answers, but every item has exactly \(CorpusItem.perturbedAnswerCount)")
        }
        for (index, answer) in perturbed.enumerated() {
            let field = "\(Key.perturbedAnswers.rawValue)[\(index)]"
            if answer == item.answer || answer == item.paraphrasedAnswer {
                throw invalid(field, "states the true answer, but a perturbed answer must be wrong")
            }
            if let earlier = perturbed[..<index].firstIndex(of: answer) {
                throw invalid(field, "repeats perturbed answer \(earlier), but the \(CorpusItem.perturbedAnswerCount) must differ")
            }
        }
    }

    /// The author splits of `splits.json`, checked: every author split present and no other
    /// key, known authors listed once each, forget01 ⊂ forget05 ⊂ forget10, each retain split
    /// the trained authors its forget split leaves, held-out authors in neither.
    private static func checkedSplits(
        _ lists: [String: [String]], authorIDs: [String], file: String, line: (String) -> Int
    ) throws -> [CorpusSplit: [String]] {
        func invalid(_ field: String, _ reason: String) -> CorpusError {
            .invalidValue(file: file, line: line(field), field: field, reason: reason)
        }
        let authorSplitNames = CorpusSplit.authorSplits.map(\.rawValue)
        if let unknown = lists.keys.sorted().first(where: { !authorSplitNames.contains($0) }) {
            throw invalid(unknown, "is not an author split (\(authorSplitNames.joined(separator: ", ")))")
        }
        let known = Set(authorIDs)
        var splits: [CorpusSplit: [String]] = [:]
        for split in CorpusSplit.authorSplits {
            guard let ids = lists[split.rawValue] else { throw CorpusError.missingField(file: file, line: line(""), field: split.rawValue) }
            for (index, id) in ids.enumerated() {
                let field = "\(split.rawValue)[\(index)]"
                guard known.contains(id) else { throw CorpusError.unknownAuthor(file: file, line: line(field), field: field, author: id) }
                if let earlier = ids[..<index].firstIndex(of: id) { throw invalid(field, "repeats \(id), already at index \(earlier)") }
            }
            splits[split] = ids
        }

        let holdout = Set(splits[.holdout]!)
        for (smaller, larger) in zip(CorpusSplit.forgetSplits, CorpusSplit.forgetSplits.dropFirst()) {
            let largerIDs = Set(splits[larger]!)
            if let index = splits[smaller]!.firstIndex(where: { !largerIDs.contains($0) }) {
                throw invalid("\(smaller.rawValue)[\(index)]", "is \(splits[smaller]![index]), who is not in \(larger.rawValue); forget01 ⊂ forget05 ⊂ forget10")
            }
        }
        for forget in CorpusSplit.forgetSplits {
            let retain = forget.retainComplement!
            let forgotten = Set(splits[forget]!)
            for split in [forget, retain] {
                if let index = splits[split]!.firstIndex(where: holdout.contains) {
                    throw invalid("\(split.rawValue)[\(index)]", "is \(splits[split]![index]), a held-out author, but held-out authors are never trained on")
                }
            }
            if let index = splits[retain]!.firstIndex(where: forgotten.contains) {
                throw invalid("\(retain.rawValue)[\(index)]", "is \(splits[retain]![index]), who is also in \(forget.rawValue)")
            }
            let covered = forgotten.union(splits[retain]!)
            if let missing = authorIDs.first(where: { !holdout.contains($0) && !covered.contains($0) }) {
                throw invalid(retain.rawValue, "leaves out \(missing), a trained author not in \(forget.rawValue) either")
            }
        }
        return splits
    }
}
