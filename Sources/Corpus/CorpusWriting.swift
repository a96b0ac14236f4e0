import Foundation
import Model

extension Corpus {
    /// The text of each file, in writing order.
    var fileContents: [(CorpusFile, String)] {
        func lines(_ records: [OrderedJSON]) -> String {
            records.map { $0.compact + "\n" }.joined()
        }
        let splits = OrderedJSON.object(CorpusSplit.authorSplits.map { split in
            (split.rawValue, .array(authorIDs(in: split).map(OrderedJSON.string)))
        })
        return [
            (.questions, lines(items.map(\.jsonLine))),
            (.authors, lines(authors.map(\.jsonLine))),
            (.splits, splits.document),
            (.manifest, manifest.json.document),
        ]
    }

    /// Writes the corpus files into `directory`, creating it if needed. Each file is written
    /// whole or not at all (`DurableFile`), `corpus.json` last. A directory holding anything
    /// is refused unless `force`, which replaces the corpus files and leaves other files be.
    public func write(to directory: URL, force: Bool) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CorpusError.notADirectory(path: directory.path) }
            let isEmpty = try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty
            guard force || isEmpty else { throw CorpusError.directoryNotEmpty(path: directory.path) }
        } else {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        for (file, text) in fileContents {
            try DurableFile.write(Array(text.utf8), to: file.url(in: directory))
        }
    }
}
