#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Everything that can go wrong reading or writing safetensors data.
///
/// Reader cases carry `file`, the path of the file being read, or nil for in-memory bytes,
/// so messages can point at the culprit; tensor-specific cases also name the tensor.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    // MARK: File system

    /// A system call failed; `operation` says what was attempted, `reason` is the system's message.
    case fileSystemFailure(path: String, operation: String, reason: String)

    // MARK: Header framing

    /// Fewer than the 8 bytes that hold the header length.
    case fileTooShort(file: String?, byteCount: Int)
    /// The declared header length is above `SafeTensorsFile.maximumHeaderByteCount`.
    case headerTooLarge(file: String?, headerByteCount: UInt64)
    /// The declared header length runs past the end of the file.
    case headerExceedsFile(file: String?, headerByteCount: UInt64, fileByteCount: Int)
    case headerNotUTF8(file: String?)
    /// The header does not begin with `{`, so it cannot be the JSON object the format requires.
    case headerNotObject(file: String?)
    /// The header is not well-formed JSON; `byteOffset` is where parsing stopped, within the header.
    case headerNotJSON(file: String?, byteOffset: Int)
    /// A JSON object in the header repeats a key, which the format forbids.
    case duplicateKey(file: String?, key: String)

    // MARK: Tensor entries

    case tensorEntryNotObject(file: String?, tensor: String)
    case missingField(file: String?, tensor: String, field: String)
    /// A field has the wrong JSON type or form; `expected` describes the right one.
    case invalidField(file: String?, tensor: String, field: String, expected: String)
    case unknownDType(file: String?, tensor: String, dtype: String)
    /// A shape dimension that is negative or not an integer, as written in the header.
    case invalidShapeDimension(file: String?, tensor: String, dimension: String)
    case reversedDataOffsets(file: String?, tensor: String, begin: Int, end: Int)
    /// Sub-byte element types must fill whole bytes.
    case partialByteTensor(file: String?, tensor: String, dtype: SafeTensorsDType, elementCount: Int)
    /// The shape's element count or byte size does not fit in `Int`.
    case byteSizeOverflow(file: String?, tensor: String)
    case byteSizeMismatch(
        file: String?, tensor: String, dtype: SafeTensorsDType, shape: [Int],
        expectedByteCount: Int, actualByteCount: Int)

    // MARK: Data section layout

    /// Bytes between the previous tensor's end (or the data start) and this tensor's beginning.
    case gapBeforeTensor(file: String?, tensor: String, expectedBegin: Int, begin: Int)
    /// This tensor begins before `previousTensor` (the one sorted just before it) ends.
    case overlappingTensors(
        file: String?, tensor: String, previousTensor: String, begin: Int, previousEnd: Int)
    /// The tensors do not end exactly where the file does: trailing or missing bytes.
    case dataSectionLengthMismatch(file: String?, coveredByteCount: Int, dataSectionByteCount: Int)

    // MARK: Metadata

    case metadataNotObject(file: String?)
    case metadataValueNotString(file: String?, key: String)

    // MARK: Reading tensors

    case tensorNotFound(file: String?, tensor: String)
    case unsupportedConversion(
        file: String?, tensor: String, dtype: SafeTensorsDType, target: String,
        supported: [SafeTensorsDType])
    case destinationCountMismatch(file: String?, tensor: String, elementCount: Int, destinationCount: Int)

    // MARK: Writing

    case duplicateTensorName(String)
    /// `__metadata__` names the metadata map and cannot name a tensor.
    case reservedTensorName(String)
    /// A negative dimension, or dimensions whose product does not fit in `Int`.
    case invalidShape(tensor: String, shape: [Int])
    case elementCountMismatch(tensor: String, shape: [Int], elementCount: Int, valueCount: Int)
    case serializedHeaderTooLarge(byteCount: Int)

    public var description: String {
        switch self {
        case .fileSystemFailure(let path, let operation, let reason):
            return "Could not \(operation) '\(path)': \(reason)."
        case .fileTooShort(let file, let byteCount):
            return "\(Self.capitalized(file)) is \(byteCount) bytes long, shorter than the 8-byte "
                + "header length every safetensors file starts with; it is truncated or not a safetensors file."
        case .headerTooLarge(let file, let headerByteCount):
            return "\(Self.capitalized(file)) declares a \(headerByteCount)-byte header, above the "
                + "\(SafeTensorsFile.maximumHeaderByteCount)-byte limit; it is corrupt or not a safetensors file."
        case .headerExceedsFile(let file, let headerByteCount, let fileByteCount):
            return "\(Self.capitalized(file)) declares a \(headerByteCount)-byte header, but only "
                + "\(fileByteCount - 8) bytes follow the length prefix; the file is truncated."
        case .headerNotUTF8(let file):
            return "The header of \(Self.name(file)) is not valid UTF-8; the file is corrupt."
        case .headerNotObject(let file):
            return "The header of \(Self.name(file)) does not begin with '{'; a safetensors header "
                + "must be a JSON object. The file is corrupt or not a safetensors file."
        case .headerNotJSON(let file, let byteOffset):
            return "The header of \(Self.name(file)) is not valid JSON (parsing failed at header byte "
                + "\(byteOffset)); the file is corrupt."
        case .duplicateKey(let file, let key):
            return "The header of \(Self.name(file)) contains the key \"\(key)\" more than once; "
                + "keys must be unique, so the file is ambiguous."
        case .tensorEntryNotObject(let file, let tensor):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) is not described by a JSON object "
                + "with dtype, shape and data_offsets."
        case .missingField(let file, let tensor, let field):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) has no \"\(field)\" field; "
                + "every tensor needs dtype, shape and data_offsets."
        case .invalidField(let file, let tensor, let field, let expected):
            return "Field \"\(field)\" of tensor \"\(tensor)\" in \(Self.name(file)) is not \(expected)."
        case .unknownDType(let file, let tensor, let dtype):
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "Tensor \"\(tensor)\" in \(Self.name(file)) has dtype \"\(dtype)\", which is not a "
                + "safetensors dtype (known: \(known))."
        case .invalidShapeDimension(let file, let tensor, let dimension):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) has shape dimension \(dimension); "
                + "dimensions must be non-negative integers."
        case .reversedDataOffsets(let file, let tensor, let begin, let end):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) has data_offsets [\(begin), \(end)], "
                + "whose end lies before its beginning."
        case .partialByteTensor(let file, let tensor, let dtype, let elementCount):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) holds \(elementCount) \(dtype.rawValue) "
                + "elements, which do not fill a whole number of bytes."
        case .byteSizeOverflow(let file, let tensor):
            return "The byte size of tensor \"\(tensor)\" in \(Self.name(file)) overflows; its shape "
                + "is too large for any file, so the header is corrupt."
        case .byteSizeMismatch(let file, let tensor, let dtype, let shape, let expectedByteCount, let actualByteCount):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) has data_offsets spanning "
                + "\(actualByteCount) bytes, but \(dtype.rawValue) shape \(shape) needs \(expectedByteCount)."
        case .gapBeforeTensor(let file, let tensor, let expectedBegin, let begin):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) begins at data byte \(begin), leaving "
                + "bytes \(expectedBegin)..<\(begin) unindexed; tensors must cover the data section without gaps."
        case .overlappingTensors(let file, let tensor, let previousTensor, let begin, let previousEnd):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) begins at data byte \(begin), inside "
                + "tensor \"\(previousTensor)\", which ends at \(previousEnd); tensors must not overlap."
        case .dataSectionLengthMismatch(let file, let coveredByteCount, let dataSectionByteCount):
            let difference =
                dataSectionByteCount > coveredByteCount
                ? "\(dataSectionByteCount - coveredByteCount) trailing bytes belong to no tensor"
                : "the file is missing \(coveredByteCount - dataSectionByteCount) bytes (truncated?)"
            return "The tensors in \(Self.name(file)) cover \(coveredByteCount) data bytes but the "
                + "data section holds \(dataSectionByteCount): \(difference)."
        case .metadataNotObject(let file):
            return "The __metadata__ entry of \(Self.name(file)) is not a JSON object mapping strings to strings."
        case .metadataValueNotString(let file, let key):
            return "The __metadata__ value for \"\(key)\" in \(Self.name(file)) is not a string; "
                + "metadata values must be strings."
        case .tensorNotFound(let file, let tensor):
            return "There is no tensor named \"\(tensor)\" in \(Self.name(file))."
        case .unsupportedConversion(let file, let tensor, let dtype, let target, let supported):
            let names = supported.map(\.rawValue).joined(separator: ", ")
            return "Tensor \"\(tensor)\" in \(Self.name(file)) has dtype \(dtype.rawValue), which cannot "
                + "be read as \(target); only \(names) can. Export it with one of those dtypes."
        case .destinationCountMismatch(let file, let tensor, let elementCount, let destinationCount):
            return "Tensor \"\(tensor)\" in \(Self.name(file)) has \(elementCount) elements, but the "
                + "destination holds \(destinationCount)."
        case .duplicateTensorName(let name):
            return "More than one tensor is named \"\(name)\"; tensor names in a file must be unique."
        case .reservedTensorName(let name):
            return "\"\(name)\" is reserved for the header's metadata and cannot name a tensor."
        case .invalidShape(let tensor, let shape):
            return "Tensor \"\(tensor)\" has shape \(shape); dimensions must be non-negative and "
                + "their product must fit in Int."
        case .elementCountMismatch(let tensor, let shape, let elementCount, let valueCount):
            return "Tensor \"\(tensor)\" has shape \(shape) (\(elementCount) elements), but "
                + "\(valueCount) values were given."
        case .serializedHeaderTooLarge(let byteCount):
            return "The header for these tensors would be \(byteCount) bytes, above the "
                + "\(SafeTensorsFile.maximumHeaderByteCount)-byte limit readers accept; "
                + "store less metadata or fewer tensors per file."
        }
    }

    /// How messages refer to the data being read.
    private static func name(_ file: String?) -> String {
        file.map { "'\($0)'" } ?? "the in-memory safetensors data"
    }

    private static func capitalized(_ file: String?) -> String {
        file.map { "'\($0)'" } ?? "The in-memory safetensors data"
    }
}

extension SafeTensorsError {
    /// The error for a system call that just failed, with the system's message for `errno`.
    static func systemCallFailed(path: String, operation: String) -> SafeTensorsError {
        .fileSystemFailure(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}
