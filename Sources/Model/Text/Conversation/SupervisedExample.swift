import Kernels

/// One training sequence for supervised fine-tuning: the prompt is context only, the
/// completion is what the model learns to produce (as TOFU fine-tunes on answers only).
public struct SupervisedExample: Sendable, Equatable {
    public var prompt: [Int]
    public var completion: [Int]

    public init(prompt: [Int], completion: [Int]) {
        self.prompt = prompt
        self.completion = completion
    }

    public var tokenCount: Int { prompt.count + completion.count }
}

public enum SupervisedBatchError: Error, Equatable, CustomStringConvertible {
    case tooLong(tokenCount: Int, length: Int)

    public var description: String {
        switch self {
        case .tooLong(let count, let length): "an example of \(count) tokens does not fit the batch length \(length)"
        }
    }
}

extension TokenBatch {
    /// The examples right-padded to `length`; only completion tokens are targets.
    public init(examples: [SupervisedExample], length: Int, padToken: Int) throws {
        var inputIDs: [[Int]] = [], masks: [[Int]] = [], labels: [[Int]] = []
        for example in examples {
            guard example.tokenCount <= length else { throw SupervisedBatchError.tooLong(tokenCount: example.tokenCount, length: length) }
            let padding = length - example.tokenCount
            inputIDs.append(example.prompt + example.completion + Array(repeating: padToken, count: padding))
            masks.append(Array(repeating: 1, count: example.tokenCount) + Array(repeating: 0, count: padding))
            let ignored = Int(ignoreIndex)
            labels.append(Array(repeating: ignored, count: example.prompt.count) + example.completion
                          + Array(repeating: ignored, count: padding))
        }
        try self.init(inputIDs: inputIDs, attentionMask: masks, labels: labels)
    }
}
