import Foundation
@testable import Corpus
import XCTest

/// The same options write the same bytes; another seed writes another corpus.
final class CorpusDeterminismTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-determinism-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func writtenFiles(_ options: CorpusOptions, into name: String) throws -> [String: Data] {
        let folder = directory.appendingPathComponent(name)
        try Corpus.generate(options).write(to: folder, force: false)
        return try Dictionary(uniqueKeysWithValues: CorpusFile.allCases.map {
            ($0.rawValue, try Data(contentsOf: $0.url(in: folder)))
        })
    }

    func testTheSameSeedWritesIdenticalBytes() throws {
        let first = try writtenFiles(try CorpusOptions(seed: 7), into: "first")
        let second = try writtenFiles(try CorpusOptions(seed: 7), into: "second")
        XCTAssertEqual(first, second)
    }

    func testAnotherSeedWritesAnotherCorpus() throws {
        let one = Corpus.generate(try CorpusOptions(seed: 1, authors: 10, holdoutAuthors: 2))
        let two = Corpus.generate(try CorpusOptions(seed: 2, authors: 10, holdoutAuthors: 2))
        XCTAssertNotEqual(one.authors.map(\.name), two.authors.map(\.name))
        XCTAssertNotEqual(one.items(in: .general).map(\.answer), two.items(in: .general).map(\.answer))
        XCTAssertEqual(one.items.map(\.id).filter { $0.hasPrefix("author") }, two.items.map(\.id).filter { $0.hasPrefix("author") },
                       "author item ids name the author's number and the topic, not the drawn facts")
    }

    /// A fingerprint of a small corpus's bytes. When it changes, the generator's output for a
    /// seed has changed: raise `CorpusManifest.currentGeneratorVersion` and update the value.
    func testOutputMatchesThisGeneratorVersion() throws {
        let files = try writtenFiles(try CorpusOptions(seed: 3, authors: 4, holdoutAuthors: 2, generalQuestions: 20), into: "small")
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 // FNV-1a
        for name in files.keys.sorted() {
            for byte in files[name]! {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
        XCTAssertEqual(CorpusManifest.currentGeneratorVersion, 1)
        XCTAssertEqual(String(hash, radix: 16), "715188b285804e1e")
    }
}
