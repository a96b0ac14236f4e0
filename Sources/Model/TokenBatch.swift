import Kernels

/// What is wrong with a batch of token sequences.
public enum TokenBatchError: Error, Equatable, CustomStringConvertible {
    case empty
    case ragged(field: String)
    case tokenOutOfRange(token: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case .empty: "the batch has no tokens"
        case .ragged(let field): "'\(field)' must have one row per sequence, each as long as input_ids"
        case .tokenOutOfRange(let token, let size): "token id \(token) is outside the vocabulary (size \(size))"
        }
    }
}

/// B sequences padded to T tokens, row-major [B, T]: the tokens, their positions, which
/// keys attention may see, and each position's next-token target (or `ignoreIndex`).
public struct TokenBatch: Sendable, Equatable {
    public let batchSize: Int
    public let length: Int
    public var tokens: [Int32]
    public var positions: [Int32]
    public var keyMask: [Bool]
    public var targets: [Int32]

    public var tokenCount: Int { batchSize * length }

    /// Hugging Face's convention: `labels` are aligned with `inputIDs` (−100 = not counted)
    /// and the loss at position t predicts labels[t + 1]; positions are 0..<T.
    public init(inputIDs: [[Int]], attentionMask: [[Int]]? = nil, labels: [[Int]]? = nil) throws {
        guard let length = inputIDs.first?.count, length > 0 else { throw TokenBatchError.empty }
        guard inputIDs.allSatisfy({ $0.count == length }) else { throw TokenBatchError.ragged(field: "input_ids") }
        let mask = attentionMask ?? inputIDs.map { $0.map { _ in 1 } }
        let labels = labels ?? inputIDs
        guard mask.count == inputIDs.count, mask.allSatisfy({ $0.count == length }) else {
            throw TokenBatchError.ragged(field: "attention_mask")
        }
        guard labels.count == inputIDs.count, labels.allSatisfy({ $0.count == length }) else {
            throw TokenBatchError.ragged(field: "labels")
        }
        batchSize = inputIDs.count
        self.length = length
        tokens = inputIDs.flatMap { $0.map(Int32.init) }
        positions = (0..<batchSize).flatMap { _ in (0..<length).map(Int32.init) }
        keyMask = mask.flatMap { $0.map { $0 != 0 } }
        targets = labels.flatMap { row in (1..<length).map { Int32(row[$0]) } + [ignoreIndex] }
    }

    /// Right-pads token sequences to the longest one; every real next token is a target.
    public init(sequences: [[Int]], padToken: Int = 0) throws {
        guard let length = sequences.map(\.count).max(), length > 0 else { throw TokenBatchError.empty }
        let padded = sequences.map { $0 + Array(repeating: padToken, count: length - $0.count) }
        let mask = sequences.map { s in (0..<length).map { $0 < s.count ? 1 : 0 } }
        let labels = zip(padded, mask).map { row, m in zip(row, m).map { $1 == 1 ? $0 : Int(ignoreIndex) } }
        try self.init(inputIDs: padded, attentionMask: mask, labels: labels)
    }

    /// The largest position in the batch (rotary tables must reach it).
    public var maximumPosition: Int32 {
        positions.withUnsafeBufferPointer { all in
            var maximum: Int32 = 0
            for i in 0..<all.count { maximum = max(maximum, all[i]) }
            return maximum
        }
    }

    /// Throws when a token or target falls outside the vocabulary.
    public func validate(vocabularySize: Int) throws {
        let size = Int32(vocabularySize)
        for n in 0..<tokenCount {
            let token = tokens[n], target = targets[n]
            if token < 0 || token >= size {
                throw TokenBatchError.tokenOutOfRange(token: Int(token), vocabularySize: vocabularySize)
            }
            if target != ignoreIndex && (target < 0 || target >= size) {
                throw TokenBatchError.tokenOutOfRange(token: Int(target), vocabularySize: vocabularySize)
            }
        }
    }
}
