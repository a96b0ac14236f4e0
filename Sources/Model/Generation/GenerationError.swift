/// Why an inference session or a generation request cannot run, in words that name the value.
public enum GenerationError: Error, Equatable, CustomStringConvertible {
    case invalidCapacity(Int, maxPositionEmbeddings: Int)
    case emptyInput
    case tokenOutOfRange(token: Int, vocabularySize: Int)
    case contextFull(held: Int, adding: Int, capacity: Int)
    case invalidOption(String, reason: String)

    public var description: String {
        switch self {
        case .invalidCapacity(let capacity, let maximum):
            "a KV cache of \(capacity) positions is not possible: it must be 1...max_position_embeddings (\(maximum))"
        case .emptyInput:
            "no tokens to run: a prompt needs at least one token"
        case .tokenOutOfRange(let token, let size):
            "token id \(token) is outside the vocabulary (size \(size))"
        case .contextFull(let held, let adding, let capacity):
            "the KV cache holds \(held) of \(capacity) positions; \(adding) more tokens do not fit"
        case .invalidOption(let name, let reason):
            "generation option '\(name)' \(reason)"
        }
    }
}
