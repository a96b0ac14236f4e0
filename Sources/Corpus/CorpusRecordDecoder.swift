import Foundation

/// Decodes the JSON records of a corpus directory's files, turning Foundation's
/// `DecodingError` into a `CorpusError` that names the file, the line and the field.
struct CorpusRecordDecoder {
    let directory: URL
    private let decoder = JSONDecoder()

    init(directory: URL) {
        self.directory = directory
    }

    func path(of file: CorpusFile) -> String {
        file.url(in: directory).path
    }

    /// Every line of a JSON Lines file, decoded, with its line number (from 1). Empty lines,
    /// such as after the final newline, are skipped.
    func lines<Record: Decodable>(of file: CorpusFile, as type: Record.Type) throws -> [(line: Int, record: Record)] {
        let lines = try file.bytes(in: directory).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        return try lines.enumerated().filter { !$0.element.isEmpty }.map { index, line in
            (index + 1, try decode(Record.self, from: Data(line), file: file) { _ in index + 1 })
        }
    }

    /// A whole JSON document, and for each field the line its key is written on, which is
    /// where errors about it point.
    func document<Record: Decodable>(_ file: CorpusFile, as type: Record.Type) throws -> (record: Record, line: (String) -> Int) {
        let bytes = try file.bytes(in: directory)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let line = { (field: String) -> Int in
            let key = field.prefix { $0 != "[" && $0 != "." }
            guard !key.isEmpty, let index = lines.firstIndex(where: { $0.contains("\"\(key)\"") }) else { return 1 }
            return index + 1
        }
        return (try decode(Record.self, from: bytes, file: file, line: line), line)
    }

    private func decode<Record: Decodable>(
        _ type: Record.Type, from bytes: Data, file: CorpusFile, line: (String) -> Int
    ) throws -> Record {
        do {
            return try decoder.decode(Record.self, from: bytes)
        } catch let error as DecodingError {
            throw corpusError(error, file: path(of: file), line: line)
        }
    }

    private func corpusError(_ error: DecodingError, file: String, line: (String) -> Int) -> CorpusError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .notJSON(file: file, line: line(""))
        case .dataCorrupted(let context):
            let field = Self.field(context.codingPath)
            return .invalidValue(file: file, line: line(field), field: field, reason: "is invalid: \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            let field = Self.field(context.codingPath + [key])
            return .missingField(file: file, line: line(field), field: field)
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = Self.field(context.codingPath)
            return .wrongType(file: file, line: line(field), field: field, expected: Self.jsonType(type))
        @unknown default:
            return .notJSON(file: file, line: line(""))
        }
    }

    /// `perturbed_answers[2]`.
    private static func field(_ codingPath: [CodingKey]) -> String {
        codingPath.reduce("") { field, key in
            if let index = key.intValue { return field + "[\(index)]" }
            return field.isEmpty ? key.stringValue : field + "." + key.stringValue
        }
    }

    /// What a Swift type is called in JSON.
    private static func jsonType(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "an array" }
        if name.hasPrefix("Dictionary") { return "an object" }
        if type == String.self { return "a string" }
        if type == Int.self || type == UInt64.self { return "an integer" }
        return "a JSON value holding \(name)"
    }
}
