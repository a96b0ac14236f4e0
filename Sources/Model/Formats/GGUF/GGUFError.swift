/// Everything that is wrong with a GGUF file, as a sentence that names the file and the
/// metadata key or tensor at fault. A GGUF file is untrusted input: every case is a check the
/// reader makes before it believes a count, a length or an offset.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case badMagic(file: String)
    case unsupportedVersion(file: String, version: UInt32)
    /// The file ends inside `region` (e.g. "the value of key 'llama.block_count'").
    case truncated(file: String, region: String)
    /// A count or length read from the file (`what`) cannot fit in the file at all.
    case countTooLarge(file: String, what: String, count: UInt64)
    case tooManyMetadataValues(file: String, key: String, limit: UInt64)
    case invalidUTF8(file: String, what: String)
    case unknownValueType(file: String, key: String, type: UInt32)
    case nestingTooDeep(file: String, key: String, limit: Int)
    case duplicateKey(file: String, key: String)
    case invalidAlignment(file: String, value: String)
    case duplicateTensor(file: String, tensor: String)
    case tooManyDimensions(file: String, tensor: String, count: UInt32)
    case dimensionsOverflow(file: String, tensor: String, dimensions: [UInt64])
    case unknownTensorType(file: String, tensor: String, type: UInt32)
    case rowNotBlockMultiple(file: String, tensor: String, type: String, rowLength: Int, blockSize: Int)
    case misalignedOffset(file: String, tensor: String, offset: UInt64, alignment: Int)
    case tensorPastEnd(file: String, tensor: String, offset: UInt64, byteCount: Int, dataByteCount: Int)
    case overlappingTensors(file: String, tensor: String, other: String)
    case unsupportedTensorType(file: String, tensor: String, type: String)
    case missingKey(file: String, key: String)
    case wrongKeyType(file: String, key: String, expected: String)
    case invalidValue(file: String, key: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case unexpectedTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    case unsupportedArchitecture(file: String, architecture: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "cannot read GGUF file \(file): \(reason)"
        case .badMagic(let file):
            "\(file) is not a GGUF file: it does not start with the bytes \"GGUF\""
        case .unsupportedVersion(let file, let version):
            "\(file) is GGUF version \(version); Lethe reads versions 2 and 3 (convert it again with a current llama.cpp)"
        case .truncated(let file, let region):
            "\(file) is truncated: it ends inside \(region)"
        case .countTooLarge(let file, let what, let count):
            "\(file) is corrupt: \(what) is \(count), more than the whole file can hold"
        case .tooManyMetadataValues(let file, let key, let limit):
            "\(file): at key '\(key)' the metadata holds more than \(limit) values, more than any model's vocabulary needs; Lethe refuses to read it"
        case .invalidUTF8(let file, let what):
            "\(file) is corrupt: \(what) is not valid UTF-8"
        case .unknownValueType(let file, let key, let type):
            "\(file): key '\(key)' has value type \(type), which is not a GGUF type (0–12)"
        case .nestingTooDeep(let file, let key, let limit):
            "\(file): key '\(key)' nests arrays more than \(limit) deep"
        case .duplicateKey(let file, let key):
            "\(file) is corrupt: key '\(key)' appears twice"
        case .invalidAlignment(let file, let value):
            "\(file): 'general.alignment' is \(value); it must be a power of two held in a uint32"
        case .duplicateTensor(let file, let tensor):
            "\(file) is corrupt: tensor '\(tensor)' appears twice"
        case .tooManyDimensions(let file, let tensor, let count):
            "\(file): tensor '\(tensor)' has \(count) dimensions; GGUF allows 1 to 4"
        case .dimensionsOverflow(let file, let tensor, let dimensions):
            "\(file) is corrupt: tensor '\(tensor)' has dimensions \(dimensions), whose size overflows"
        case .unknownTensorType(let file, let tensor, let type):
            "\(file): tensor '\(tensor)' has type \(type), which is not a ggml type this reader knows"
        case .rowNotBlockMultiple(let file, let tensor, let type, let rowLength, let blockSize):
            "\(file) is corrupt: tensor '\(tensor)' of type \(type) has rows of \(rowLength) values, not a multiple of its block size \(blockSize)"
        case .misalignedOffset(let file, let tensor, let offset, let alignment):
            "\(file) is corrupt: tensor '\(tensor)' starts at data offset \(offset), not a multiple of the alignment \(alignment)"
        case .tensorPastEnd(let file, let tensor, let offset, let byteCount, let dataByteCount):
            "\(file) is corrupt or truncated: tensor '\(tensor)' spans \(byteCount) bytes from data offset \(offset), past the end of the \(dataByteCount)-byte data section"
        case .overlappingTensors(let file, let tensor, let other):
            "\(file) is corrupt: the data of tensor '\(tensor)' overlaps that of '\(other)'"
        case .unsupportedTensorType(let file, let tensor, let type):
            "\(file): tensor '\(tensor)' is stored as \(type), which Lethe cannot dequantize (it reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)"
        case .missingKey(let file, let key):
            "\(file) lacks the metadata key '\(key)', which a model of this architecture needs"
        case .wrongKeyType(let file, let key, let expected):
            "\(file): key '\(key)' must be \(expected)"
        case .invalidValue(let file, let key, let reason):
            "\(file): key '\(key)' \(reason)"
        case .missingTensor(let file, let tensor):
            "\(file) lacks tensor '\(tensor)', which its metadata implies"
        case .unexpectedTensor(let file, let tensor):
            "\(file) has tensor '\(tensor)', which a Llama model with this metadata does not have"
        case .shapeMismatch(let file, let tensor, let expected, let found):
            "\(file): tensor '\(tensor)' has shape \(found), the metadata implies \(expected)"
        case .unsupportedArchitecture(let file, let architecture):
            "\(file) holds a '\(architecture)' model; Lethe converts the architectures llama, mistral and qwen2"
        }
    }
}
