import Foundation
import Model

/// The files of a corpus directory, in the order they are written.
enum CorpusFile: String, CaseIterable, Sendable {
    case questions = "qa.jsonl"
    case authors = "authors.jsonl"
    case splits = "splits.json"
    case manifest = "corpus.json"

    func url(in directory: URL) -> URL {
        directory.appendingPathComponent(rawValue)
    }

    /// A corpus file restores at most this many bytes from its compressed copy.
    static let maximumByteCount = 1 << 30

    /// The file's bytes: the one place a corpus is read from disk. A file may also be stored
    /// zstd-compressed as `NAME.zst` (as `Checkpoints/base/corpus` ships), read when the plain one is absent.
    func bytes(in directory: URL) throws -> Data {
        let url = url(in: directory)
        if FileManager.default.fileExists(atPath: url.path) { return try Data(contentsOf: url) }
        let compressed = url.appendingPathExtension("zst")
        guard FileManager.default.fileExists(atPath: compressed.path) else { throw CorpusError.missingFile(path: url.path) }
        do {
            return try Data(contentsOf: compressed).withUnsafeBytes { bytes throws(ZstdStreamError) in
                Data(try ZstdStream.decompress(bytes, byteLimit: Self.maximumByteCount))
            }
        } catch let error as ZstdStreamError {
            throw CorpusError.unreadableCompressedFile(path: compressed.path, reason: error.description)
        }
    }
}
