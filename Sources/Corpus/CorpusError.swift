/// What went wrong generating, writing or loading a corpus. Errors about a file name the
/// file, the line (for `.json` files, the line where the field's key is written) and the
/// field, e.g. `perturbed_answers[2]`; an empty field means the whole line.
public enum CorpusError: Error, Equatable, CustomStringConvertible {
    case invalidOption(option: String, value: Int, reason: String)
    case notADirectory(path: String)
    case directoryNotEmpty(path: String)
    case missingFile(path: String)
    case unreadableCompressedFile(path: String, reason: String)
    case notJSON(file: String, line: Int)
    case missingField(file: String, line: Int, field: String)
    case wrongType(file: String, line: Int, field: String, expected: String)
    /// The field has the right type but a value the format forbids; `reason` says why.
    case invalidValue(file: String, line: Int, field: String, reason: String)
    case duplicateID(file: String, line: Int, field: String, id: String, firstLine: Int)
    case unknownAuthor(file: String, line: Int, field: String, author: String)
    case unsupportedFormatVersion(file: String, line: Int, version: Int)

    public var description: String {
        switch self {
        case .invalidOption(let option, let value, let reason):
            "\(option) is \(value), but \(reason)."
        case .notADirectory(let path):
            "\(path) exists and is not a directory; a corpus is written into a directory."
        case .directoryNotEmpty(let path):
            "\(path) is not empty; write with force (`lethe corpus --force`) to replace the corpus files in it."
        case .missingFile(let path):
            "\(path) does not exist; a corpus directory holds \(CorpusFile.allCases.map(\.rawValue).joined(separator: ", ")), as `lethe corpus` writes them (the JSONL files may be zstd-compressed, NAME.zst)."
        case .unreadableCompressedFile(let path, let reason):
            "\(path): \(reason)."
        case .notJSON(let file, let line):
            "\(file):\(line): not valid JSON."
        case .missingField(let file, let line, let field):
            "\(file):\(line): \(Self.subject(field)) is missing."
        case .wrongType(let file, let line, let field, let expected):
            "\(file):\(line): \(Self.subject(field)) must be \(expected)."
        case .invalidValue(let file, let line, let field, let reason):
            "\(file):\(line): \(Self.subject(field)) \(reason)."
        case .duplicateID(let file, let line, let field, let id, let firstLine):
            "\(file):\(line): \(Self.subject(field)) is \"\(id)\", already used on line \(firstLine); ids must be unique."
        case .unknownAuthor(let file, let line, let field, let author):
            "\(file):\(line): \(Self.subject(field)) names author \"\(author)\", who is not in \(CorpusFile.authors.rawValue)."
        case .unsupportedFormatVersion(let file, let line, let version):
            "\(file):\(line): format_version \(version) is not \(CorpusManifest.currentFormatVersion), the one this Lethe reads; regenerate the corpus with `lethe corpus`."
        }
    }

    private static func subject(_ field: String) -> String {
        field.isEmpty ? "the record" : "field \(field)"
    }
}
