/// What went wrong in a store operation, in words that name the version or object.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case notAStore(path: String)
    case alreadyAStore(path: String)
    case unknownVersion(Int)
    case noHead
    case objectMissing(version: Int, object: String, path: String)
    case integrityFailure(version: Int, object: String, expected: String, actual: String)
    case decodeFailure(version: Int, object: String, reason: String)
    case notAFolder(path: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .notAStore(let path): "\(path) is not a Lethe store (no lethe.sqlite); create one with `lethe init --store \(path) --model FOLDER`"
        case .alreadyAStore(let path): "\(path) already holds a Lethe store"
        case .unknownVersion(let id): "version \(id) does not exist"
        case .noHead: "the store has no HEAD version"
        case .objectMissing(let version, let object, let path): "version \(version): object \(object.prefix(12)) is missing (\(path))"
        case .integrityFailure(let version, let object, let expected, let actual):
            "version \(version): object \(object.prefix(12)) is corrupt: its content hashes to \(actual.prefix(12)), not \(expected.prefix(12))"
        case .decodeFailure(let version, let object, let reason): "version \(version): object \(object.prefix(12)) cannot be decoded: \(reason)"
        case .notAFolder(let path): "\(path) is not a folder"
        case .invalidArgument(let message): message
        }
    }
}
