/// Why a request file was refused: the file, the field (a path like `forget[3].completion`,
/// nil for the file as a whole) and what is wrong, in words. It is what `failed/NAME.error.json`
/// says.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let field: String?
    public let reason: String

    public init(file: String, field: String? = nil, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    /// One log line: the file name is the submitter's, so it is escaped like the field.
    public var description: String {
        let file = SafeText.escaped(file)
        return field.map { "\(file): \(SafeText.escaped($0)): \(reason)" } ?? "\(file): \(reason)"
    }
}
