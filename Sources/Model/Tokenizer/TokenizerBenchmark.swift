import Foundation

/// Times `Tokenizer.encode` on one large text, as `lethe bench tokenize` reports it beside
/// Hugging Face tokenizers (scripts/bench/tokenize_peer.py measures the same way): the file
/// loaded once, the whole text encoded as one string `repetitions` times on one thread,
/// the median taken (the pre-token cache is warm after the first run, on both sides).
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
        var times: [Double] = []
        var ids: [Int] = []
        for repetition in 1...repetitions {
            let start = DispatchTime.now()
            ids = tokenizer.encode(text)
            times.append(Self.seconds(since: start))
            progress(repetition, repetitions)
        }
        let median = times.sorted()[times.count / 2]
        let bytes = text.utf8.count
        return Result(
            tokenizer: tokenizerFile.path, textBytes: bytes, tokens: ids.count, idChecksum: Self.idChecksum(ids),
            repetitions: repetitions, loadSeconds: loadSeconds, encodeSeconds: median,
            megabytesPerSecond: Double(bytes) / 1e6 / median, tokensPerSecond: Double(ids.count) / median)
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
