/// What went wrong encoding or decoding a checkpoint object.
public enum ObjectCodecError: Error, Equatable, CustomStringConvertible {
    /// libzstd refused: `operation` is what the codec was doing, `errorName` the library's
    /// own name for the error (`ZSTD_getErrorName`), e.g. "Restored data doesn't match checksum".
    case zstd(operation: String, errorName: String)
    /// An input of `encodeDelta` is not a valid safetensors file.
    case invalidSafeTensors(role: String, reason: String)
    /// The object does not start with the delta magic bytes; it is not a delta object.
    case notADeltaObject
    /// The object was written by a newer format version than this build reads.
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The object ends inside `section`: `requiredByteCount` bytes were needed, `availableByteCount` remain.
    case truncated(section: String, requiredByteCount: Int, availableByteCount: Int)
    /// The object's bytes are inconsistent in a way that no encoder produces.
    case corrupt(reason: String)
    /// The base passed to `decodeDelta` is not the file the delta was made against.
    case baseMismatch(reason: String)
    /// The restored file would not have the size the caller expects.
    case unexpectedSize(expectedByteCount: Int, actualByteCount: Int)

    public var description: String {
        switch self {
        case .zstd(let operation, let errorName):
            "zstd failed to \(operation): \(errorName)"
        case .invalidSafeTensors(let role, let reason):
            "the \(role) is not a valid safetensors file: \(reason)"
        case .notADeltaObject:
            "the object is not a Lethe delta object (its first bytes are not the delta magic 'LETHEDLT')"
        case .unsupportedVersion(let found, let supported):
            "the delta object has format version \(found), but this build reads only version \(supported); upgrade lethe"
        case .truncated(let section, let required, let available):
            "the object is truncated: its \(section) needs \(required) bytes but only \(available) remain"
        case .corrupt(let reason):
            "the object is corrupt: \(reason)"
        case .baseMismatch(let reason):
            "the delta object does not apply to the given base: \(reason); pass the parent version's weights"
        case .unexpectedSize(let expected, let actual):
            "the object restores \(actual) bytes, but \(expected) were expected"
        }
    }
}
