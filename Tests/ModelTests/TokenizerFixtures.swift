import Foundation
@testable import Model

/// The committed tokenizer fixtures written by Tests/Fixtures/make_tokenizer_fixtures.py:
/// tokenizers' own ids, decodes and pre-tokenizer cuts (Tests/Fixtures/README.md).
enum TokenizerFixtures {
    static let root = Fixtures.root.appendingPathComponent("tokenizer")
    static let names = ["gpt2_trained", "gpt2_prefix_digits", "llama3_style", "qwen2_style", "lethe_trained"]

    /// What `LETHE_WRITE_TOKENIZER_FIXTURE=1` retrains `lethe_trained` with (and the script documents).
    static let letheTrainer = BPETrainer(vocabularySize: 420, minimumFrequency: 3, specialTokens: ["<|endoftext|>", "<|pad|>", "<|user|>"])
    /// The settings gpt2_trained was trained with by tokenizers' BpeTrainer.
    static let gpt2Trainer = BPETrainer(vocabularySize: 400, minimumFrequency: 2, specialTokens: ["<|endoftext|>", "<|pad|>"])

    static func folder(_ name: String) -> URL { root.appendingPathComponent(name) }
    static func file(_ name: String) -> URL { folder(name).appendingPathComponent("tokenizer.json") }
    static func tokenizer(_ name: String) throws -> Tokenizer { try Tokenizer(file: file(name)) }

    static func texts() throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(contentsOf: root.appendingPathComponent("texts.json")))
    }

    /// corpus.txt's lines, the texts both trainers learn from.
    static func corpus() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("corpus.txt"), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    struct Expected: Decodable {
        struct Case: Decodable {
            let ids: [Int]
            let ids_with_special_tokens: [Int]?
            let decoded: String
            let decoded_skipping_special: String?
        }
        struct LongInput: Decodable {
            let name: String
            let count: Int
            let head: [Int]
            let tail: [Int]
            let checksum: UInt64
        }
        let cases: [Case]
        let decode_cases: [Case]
        let long_inputs: [LongInput]
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder(name).appendingPathComponent("expected.json")))
    }

    struct PreTokenizeCase: Decodable {
        let text: String
        let gpt2: [Int]
        let llama3: [Int]
        let qwen2: [Int]
        let digits_individual: [Int]
        let digits_contiguous: [Int]
    }

    static func preTokenizeCases() throws -> [PreTokenizeCase] {
        struct File: Decodable { let cases: [PreTokenizeCase] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: root.appendingPathComponent("pretokenize.json"))).cases
    }

    /// The script's long inputs, drawn from the same 64-bit LCG.
    static func longInput(_ name: String) -> String {
        let (seed, alphabet, count, prefix, suffix): (UInt64, String, Int, String, String) = switch name {
        case "letters_1mb": (1, "etaoinshrdlu", 1_000_000, "", "")
        case "spaces_100kb": (2, " ", 100_000, "x", "y")
        case "whitespace_mix_100kb": (3, " \t\n\r\u{3000}", 100_000, "", "z")
        case "digits_100k": (4, "0123456789", 100_000, "", "")
        case "cjk_100k": (5, "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", 100_000, "", "")
        default: fatalError("no long input \(name)")
        }
        // Scalars, not Characters: "\r" and "\n" side by side must stay two elements.
        let scalars = Array(alphabet.unicodeScalars)
        var state = seed
        var text = String.UnicodeScalarView()
        text.append(contentsOf: prefix.unicodeScalars)
        for _ in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            text.append(scalars[Int((state >> 33) % UInt64(scalars.count))])
        }
        text.append(contentsOf: suffix.unicodeScalars)
        return String(text)
    }

    static func checksum(_ ids: [Int]) -> UInt64 {
        ids.reduce(0) { $0 &* 1_000_003 &+ UInt64($1) }
    }
}

/// The real models' tokenizers written by Tests/Fixtures/make_real_tokenizer_fixtures.py,
/// zstd-compressed: tokenizer.json as the model ships it, and tokenizers' ids and decodes.
enum RealTokenizerFixtures {
    static let root = TokenizerFixtures.root.appendingPathComponent("real")
    static let names = ["smollm2", "llama2", "llama3_2", "qwen2", "mistral"]

    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let ids_with_special_tokens: [Int]
        let decoded: String
        let decoded_with_special_tokens: String
        let decoded_skipping_special: String
    }

    static func decompressed(_ name: String, _ file: String) throws -> [UInt8] {
        let compressed = try Data(contentsOf: root.appendingPathComponent(name, isDirectory: true).appendingPathComponent(file))
        return try compressed.withUnsafeBytes { try ZstdStream.decompress($0) }
    }

    /// The tokenizer, read from its decompressed tokenizer.json in `directory`.
    static func tokenizer(_ name: String, in directory: URL) throws -> Tokenizer {
        let url = directory.appendingPathComponent("\(name).tokenizer.json")
        try Data(try decompressed(name, "tokenizer.json.zst")).write(to: url)
        return try Tokenizer(file: url)
    }

    static func cases(_ name: String) throws -> [Case] {
        struct File: Decodable { let cases: [Case] }
        return try JSONDecoder().decode(File.self, from: Data(try decompressed(name, "expected.json.zst"))).cases
    }
}
