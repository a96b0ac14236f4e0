/// What is wrong with a tokenizer file or a decode request. File cases carry the file's
/// path and the field's path inside it (`pre_tokenizer.pretokenizers[1].type`).
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case invalidJSON(file: String, reason: String)
    case missingField(file: String, field: String)
    /// The field has the wrong JSON type or a value that contradicts the rest of the file.
    case invalidField(file: String, field: String, reason: String)
    /// The field is well formed but asks for something Lethe does not implement.
    case unsupported(file: String, field: String, value: String, reason: String)
    case unknownID(Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "cannot read \(file): \(reason)"
        case .invalidJSON(let file, let reason): "\(file) is not valid JSON: \(reason)"
        case .missingField(let file, let field): "\(file): required field '\(field)' is missing"
        case .invalidField(let file, let field, let reason): "\(file): field '\(field)' \(reason)"
        case .unsupported(let file, let field, let value, let reason):
            "\(file): '\(field)' = \(value) is not supported: \(reason)"
        case .unknownID(let id, let vocabularySize):
            "token id \(id) is not in the vocabulary (ids 0..<\(vocabularySize))"
        }
    }
}
