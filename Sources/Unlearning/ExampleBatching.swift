import Model

/// How a training loop cuts its examples into batches, epoch by epoch: a seeded shuffle,
/// length buckets so a batch pads to little more than its own longest example, and a padded
/// length from a few quantised shapes. Shared by supervised fine-tuning and unlearning.
public struct ExampleBatching: Sendable {
    public let examples: [SupervisedExample]
    public let batchSize: Int
    public let seed: UInt64
    /// The longest example: no batch is padded beyond it.
    public let length: Int

    /// Batch lengths are rounded up to a multiple of this many tokens: few shapes, so the model
    /// reuses its activation plans (it keeps `LlamaModel.keptPlanCount`), little padding wasted.
    public static let lengthQuantum = 16
    /// Examples are sorted by length within windows of this many batches.
    static let bucketWindow = 8

    public init(examples: [SupervisedExample], batchSize: Int, seed: UInt64) {
        precondition(!examples.isEmpty && batchSize > 0, "batching needs examples and a batch size")
        self.examples = examples
        self.batchSize = batchSize
        self.seed = seed
        length = examples.map(\.tokenCount).max()!
    }

    public var batchesPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    /// The batches of `epoch` as example indices: a seeded shuffle, cut into windows of a few
    /// batches whose examples are sorted by length, then the batches shuffled. The same for a
    /// seed on every run, so a resumed run sees exactly the batches an uninterrupted one would.
    /// `among`: only these example indices take part (an update's items still training).
    public func batches(epoch: Int, among indices: [Int]? = nil) -> [[Int]] {
        var generator = SeededGenerator(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
        let shuffled = (indices ?? Array(examples.indices)).shuffled(using: &generator)
        let window = batchSize * Self.bucketWindow
        var batches: [[Int]] = []
        for start in stride(from: 0, to: shuffled.count, by: window) {
            let sorted = shuffled[start..<min(start + window, shuffled.count)].sorted {
                (examples[$0].tokenCount, $0) < (examples[$1].tokenCount, $1)
            }
            for first in stride(from: 0, to: sorted.count, by: batchSize) {
                batches.append(Array(sorted[first..<min(first + batchSize, sorted.count)]))
            }
        }
        batches.shuffle(using: &generator)
        return batches
    }

    /// The padded length of a batch: its longest example, rounded up to the quantum.
    public func paddedLength(_ batch: [Int]) -> Int {
        let longest = batch.map { examples[$0].tokenCount }.max()!
        return min(length, (longest + Self.lengthQuantum - 1) / Self.lengthQuantum * Self.lengthQuantum)
    }

    /// The token batch of example indices `batch`, right-padded with `padToken`.
    public func tokenBatch(_ batch: [Int], padToken: Int) throws -> TokenBatch {
        try TokenBatch(examples: batch.map { examples[$0] }, length: paddedLength(batch), padToken: padToken)
    }

    /// The real (unpadded) tokens of example indices `batch`.
    public func tokenCount(_ batch: [Int]) -> Int { batch.reduce(0) { $0 + examples[$1].tokenCount } }
}
