import ArgumentParser
import Foundation
import Model
import Unlearning
import Corpus

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Time encoding a large text with a tokenizer.json, beside Hugging Face tokenizers.",
        discussion: """
            Without --text-file the text is the fictitious-author corpus (lethe corpus) over several seeds, \
            about 4 MB of English. The peer script runs when python3 can import tokenizers; its ids are \
            compared with Lethe's by count and checksum.
            """
    )

    @Option(help: "The tokenizer.json to time.")
    var tokenizer: String
    @Option(help: "A UTF-8 text file to encode instead of the generated corpus.")
    var textFile: String?
    @Option(help: "Timed encodings; the median is reported.")
    var repetitions = 5
    @Option(help: "The Hugging Face tokenizers peer script.")
    var peerScript = "scripts/bench/tokenize_peer.py"
    @Flag(help: "Do not run the peer script.")
    var noPeer = false
    @Flag(help: "Print the results as JSON.")
    var json = false

    /// What scripts/bench/tokenize_peer.py prints (the fields Lethe reads).
    struct PeerResult: Codable {
        let tokenizersVersion: String
        let tokens: Int
        let idChecksum: UInt64
        let loadSeconds: Double
        let megabytesPerSecond: Double
        let tokensPerSecond: Double
        let lineTokens: Int
        let lineIdChecksum: UInt64
        let lineMegabytesPerSecond: Double
        let lineTokensPerSecond: Double
    }

    struct Report: Encodable {
        let lethe: TokenizerBenchmark.Result
        /// nil when the peer did not run.
        let tokenizers: PeerResult?
        let peerNote: String
    }

    func validate() throws {
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
    }

    func run() throws {
        let (text, textURL, isTemporary) = try benchmarkText()
        defer { if isTemporary { try? FileManager.default.removeItem(at: textURL) } }
        let result = try TokenizerBenchmark(tokenizerFile: URL(fileURLWithPath: tokenizer), text: text, repetitions: repetitions)
            .run { done, total in if !json { FileHandle.standardError.write(Data("\rrepetition \(done)/\(total)".utf8)) } }
        if !json { FileHandle.standardError.write(Data("\n".utf8)) }
        let (peer, note) = noPeer ? (nil, "not run (--no-peer)") : runPeer(textURL: textURL, lethe: result)
        if json { return print(try encodeJSON(Report(lethe: result, tokenizers: peer, peerNote: note))) }
        var rows: [(String, String)] = [
            ("tokenizer", result.tokenizer),
            ("text", "\(humanBytes(result.textBytes)), \(result.tokens.formatted()) tokens, median of \(result.repetitions)"),
            ("lethe, whole text", String(format: "%.2f MB/s, %.0f tokens/s (load %.2f s)",
                                         result.megabytesPerSecond, result.tokensPerSecond, result.loadSeconds)),
            ("lethe, by line", String(format: "%.2f MB/s, %.0f tokens/s", result.lineMegabytesPerSecond, result.lineTokensPerSecond)),
        ]
        if let peer {
            rows.append(("tokenizers \(peer.tokenizersVersion), whole text", String(
                format: "%.2f MB/s, %.0f tokens/s (load %.2f s)", peer.megabytesPerSecond, peer.tokensPerSecond, peer.loadSeconds)))
            rows.append(("tokenizers \(peer.tokenizersVersion), by line", String(
                format: "%.2f MB/s, %.0f tokens/s", peer.lineMegabytesPerSecond, peer.lineTokensPerSecond)))
        }
        rows.append(("peer", note))
        printTable(rows)
    }

    /// The text and a file holding it (for the peer): --text-file, or the corpus written to a
    /// temporary file.
    private func benchmarkText() throws -> (String, URL, Bool) {
        if let textFile {
            let url = URL(fileURLWithPath: textFile)
            return (try String(contentsOf: url, encoding: .utf8), url, false)
        }
        var text = ""
        var seed: UInt64 = 1
        while text.utf8.count < 4_000_000 {
            let corpus = Corpus.generate(try CorpusOptions(seed: seed, authors: 200, holdoutAuthors: 20, generalQuestions: 300))
            for item in corpus.items { text += "\(item.question) \(item.answer)\n" }
            seed += 1
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-bench-tokenize-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: url)
        return (text, url, true)
    }

    /// The peer's JSON and a note on it: whether its ids are Lethe's, or why it did not run.
    private func runPeer(textURL: URL, lethe: TokenizerBenchmark.Result) -> (PeerResult?, String) {
        guard FileManager.default.fileExists(atPath: peerScript) else {
            return (nil, "not run: \(peerScript) not found (run from the repository root or give --peer-script)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", peerScript, tokenizer, textURL.path, String(repetitions)]
        // Its errors go to a file: two pipes read one after the other deadlock once the unread
        // one fills (64 KiB).
        let output = Pipe(), errorsURL = textURL.appendingPathExtension("peer-errors")
        guard FileManager.default.createFile(atPath: errorsURL.path, contents: nil), let errors = try? FileHandle(forWritingTo: errorsURL) else {
            return (nil, "not run: cannot create \(errorsURL.path)")
        }
        defer { try? FileManager.default.removeItem(at: errorsURL) }
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { return (nil, "not run: python3 cannot be started (\(error.localizedDescription))") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errors.close()
        let message = (try? String(contentsOf: errorsURL, encoding: .utf8)) ?? ""
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard process.terminationStatus == 0, let peer = try? decoder.decode(PeerResult.self, from: data) else {
            let reason = message.contains("No module named 'tokenizers'") ? "python3 has no tokenizers (pip install tokenizers)"
                : "the peer script failed: \(message.split(separator: "\n").last ?? "no output")"
            return (nil, "not run: \(reason)")
        }
        let same = peer.tokens == lethe.tokens && peer.idChecksum == lethe.idChecksum
            && peer.lineTokens == lethe.lineTokens && peer.lineIdChecksum == lethe.lineIDChecksum
        return (peer, same ? "same ids as Lethe, both ways (count and checksum)"
            : "DIFFERENT ids: \(peer.tokens) and \(peer.lineTokens) by line, against Lethe's \(lethe.tokens) and \(lethe.lineTokens)")
    }
}
