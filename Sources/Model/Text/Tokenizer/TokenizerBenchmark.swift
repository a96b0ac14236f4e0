import Foundation

/// Times `Tokenizer.encode` on one large text, as `lethe bench tokenize` reports it beside
/// Hugging Face tokenizers (scripts/bench/tokenize_peer.py measures the same way): the file
/// loaded once, then on one thread `repetitions` times each, the median taken (the
/// pre-token cache is warm after the first run, on both sides): the whole text as one
/// string, and the text line by line (each line with its "\n", as prompts and items come).
public struct TokenizerBenchmark: Sendable {
    public struct Result: Codable, Sendable {
        public let tokenizer: String
        public let textBytes: Int
        public let tokens: Int
        /// `idChecksum(_:)` of the ids, to compare them with the peer's without printing them.
        public let idChecksum: UInt64
        public let repetitions: Int
        public let loadSeconds: Double
        /// The median encode time.
        public let encodeSeconds: Double
        /// 10^6 bytes of UTF-8 text per second.
        public let megabytesPerSecond: Double
        public let tokensPerSecond: Double
        /// The same line by line: all lines' ids concatenated.
        public let lineTokens: Int
        public let lineIDChecksum: UInt64
        public let lineEncodeSeconds: Double
        public let lineMegabytesPerSecond: Double
        public let lineTokensPerSecond: Double
    }

    public var tokenizerFile: URL
    public var text: String
    public var repetitions: Int

    public init(tokenizerFile: URL, text: String, repetitions: Int = 5) {
        precondition(repetitions >= 1, "a benchmark needs a repetition")
        self.tokenizerFile = tokenizerFile
        self.text = text
        self.repetitions = repetitions
    }

    /// Σ (i + 1) · ids[i], wrapping: the peer script computes the same.
    public static func idChecksum(_ ids: [Int]) -> UInt64 {
        ids.enumerated().reduce(0) { $0 &+ UInt64($1.offset + 1) &* UInt64($1.element) }
    }

    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Result {
        let loadStart = DispatchTime.now()
        let tokenizer = try Tokenizer(file: tokenizerFile)
        let loadSeconds = Self.seconds(since: loadStart)
        let lines = Self.lines(of: text)
        func timed(_ encode: () -> [Int], step: Int) -> (ids: [Int], median: Double) {
            var times: [Double] = []
            var ids: [Int] = []
            for repetition in 1...repetitions {
                let start = DispatchTime.now()
                ids = encode()
                times.append(Self.seconds(since: start))
                progress(step * repetitions + repetition, 2 * repetitions)
            }
            return (ids, times.sorted()[times.count / 2])
        }
        let whole = timed({ tokenizer.encode(text) }, step: 0)
        let byLine = timed({ lines.flatMap { tokenizer.encode($0) } }, step: 1)
        let megabytes = Double(text.utf8.count) / 1e6
        return Result(
            tokenizer: tokenizerFile.path, textBytes: text.utf8.count, tokens: whole.ids.count, idChecksum: Self.idChecksum(whole.ids),
            repetitions: repetitions, loadSeconds: loadSeconds, encodeSeconds: whole.median,
            megabytesPerSecond: megabytes / whole.median, tokensPerSecond: Double(whole.ids.count) / whole.median,
            lineTokens: byLine.ids.count, lineIDChecksum: Self.idChecksum(byLine.ids), lineEncodeSeconds: byLine.median,
            lineMegabytesPerSecond: megabytes / byLine.median, lineTokensPerSecond: Double(byLine.ids.count) / byLine.median)
    }

    /// The text cut after each "\n" (the last line may lack one), by bytes: to a `String`
    /// "\r\n" is one character. The peer cuts alike.
    static func lines(of text: String) -> [String] {
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) + "\n" }
        if let last = lines.popLast(), last != "\n" { lines.append(String(String.UnicodeScalarView(last.unicodeScalars.dropLast()))) }
        return lines
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
