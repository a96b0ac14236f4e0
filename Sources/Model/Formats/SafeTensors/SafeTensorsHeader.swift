/// The validated header of a safetensors file, following the rules of the reference
/// implementation (huggingface/safetensors, `tensor.rs`), with two deliberate differences:
/// duplicate keys are rejected, as the format description demands, and the header must
/// begin with `{` exactly.
struct SafeTensorsHeader {
    let metadata: [String: String]
    /// Sorted by data offsets.
    let tensors: [SafeTensorsTensorInfo]
    /// Where the data section starts, counted from the start of the file.
    let dataSectionOffset: Int

    private static let lengthPrefixByteCount = 8
    private static let metadataKey = "__metadata__"

    /// Validates the header of `fileBytes`, the complete file, including that the tensors
    /// cover the data section exactly. `file` names the file in errors.
    init(validating fileBytes: UnsafeRawBufferPointer, file: String?) throws(SafeTensorsError) {
        let prefix = Self.lengthPrefixByteCount
        guard fileBytes.count >= prefix else {
            throw .fileTooShort(file: file, byteCount: fileBytes.count)
        }
        let declaredLength = UInt64(littleEndian: fileBytes.loadUnaligned(as: UInt64.self))
        guard declaredLength <= SafeTensorsFile.maximumHeaderByteCount else {
            throw .headerTooLarge(file: file, headerByteCount: declaredLength)
        }
        let headerLength = Int(declaredLength)
        guard headerLength <= fileBytes.count - prefix else {
            throw .headerExceedsFile(file: file, headerByteCount: declaredLength, fileByteCount: fileBytes.count)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: fileBytes[prefix..<(prefix + headerLength)])
        guard Self.isValidUTF8(headerBytes) else { throw .headerNotUTF8(file: file) }
        guard headerBytes.first == UInt8(ascii: "{") else { throw .headerNotObject(file: file) }

        let members: [HeaderJSONMember]
        do {
            members = try HeaderJSONParser.parseObject(headerBytes)
        } catch {
            switch error {
            case .syntax(let byteOffset): throw .headerNotJSON(file: file, byteOffset: byteOffset)
            case .duplicateKey(let key): throw .duplicateKey(file: file, key: key)
            }
        }

        var metadata: [String: String] = [:]
        var tensors: [SafeTensorsTensorInfo] = []
        for member in members {
            if member.key == Self.metadataKey {
                metadata = try Self.metadata(from: member.value, file: file)
            } else {
                tensors.append(try Self.tensorInfo(named: member.key, from: member.value, file: file))
            }
        }

        // Writers may list tensors in any order; the layout rules apply in offset order. Ties
        // (possible only with empty tensors) keep header order so errors are deterministic.
        let sorted = tensors.enumerated().sorted { left, right in
            (left.element.byteRange.lowerBound, left.element.byteRange.upperBound, left.offset)
                < (right.element.byteRange.lowerBound, right.element.byteRange.upperBound, right.offset)
        }.map(\.element)
        let coveredByteCount = try Self.validateContiguity(of: sorted, file: file)

        let dataSectionOffset = prefix + headerLength
        let dataSectionByteCount = fileBytes.count - dataSectionOffset
        guard coveredByteCount == dataSectionByteCount else {
            throw .dataSectionLengthMismatch(
                file: file, coveredByteCount: coveredByteCount, dataSectionByteCount: dataSectionByteCount)
        }
        self.metadata = metadata
        self.tensors = sorted
        self.dataSectionOffset = dataSectionOffset
    }

    private static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// The `__metadata__` map; `null` counts as absent, as in the reference implementation.
    private static func metadata(
        from value: HeaderJSONValue, file: String?
    ) throws(SafeTensorsError) -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for member in members {
                guard case .string(let text) = member.value else {
                    throw .metadataValueNotString(file: file, key: member.key)
                }
                metadata[member.key] = text
            }
            return metadata
        default:
            throw .metadataNotObject(file: file)
        }
    }

    /// Checks one tensor entry on its own: field types, dtype, shape and that the offsets
    /// span exactly the bytes the shape needs. Unknown extra fields are ignored, as in the
    /// reference implementation.
    private static func tensorInfo(
        named name: String, from value: HeaderJSONValue, file: String?
    ) throws(SafeTensorsError) -> SafeTensorsTensorInfo {
        guard case .object(let members) = value else {
            throw .tensorEntryNotObject(file: file, tensor: name)
        }
        func field(_ key: String) throws(SafeTensorsError) -> HeaderJSONValue {
            guard let member = members.first(where: { $0.key == key }) else {
                throw .missingField(file: file, tensor: name, field: key)
            }
            return member.value
        }

        guard case .string(let dtypeName) = try field("dtype") else {
            throw .invalidField(
                file: file, tensor: name, field: "dtype", expected: "a string naming the element type, such as \"F32\"")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(file: file, tensor: name, dtype: dtypeName)
        }

        guard case .array(let dimensionValues) = try field("shape") else {
            throw .invalidField(file: file, tensor: name, field: "shape", expected: "an array of non-negative integers")
        }
        var shape: [Int] = []
        for dimensionValue in dimensionValues {
            guard case .number(let literal) = dimensionValue else {
                throw .invalidField(
                    file: file, tensor: name, field: "shape", expected: "an array of non-negative integers")
            }
            switch NonNegativeInteger(literal: literal) {
            case .value(let dimension): shape.append(dimension)
            case .tooLarge: throw .byteSizeOverflow(file: file, tensor: name)
            case .invalid: throw .invalidShapeDimension(file: file, tensor: name, dimension: literal)
            }
        }

        let offsetsExpectation = "an array of two non-negative integers [begin, end]"
        guard case .array(let offsetValues) = try field("data_offsets"), offsetValues.count == 2,
            case .number(let beginLiteral) = offsetValues[0], case .number(let endLiteral) = offsetValues[1],
            case .value(let begin) = NonNegativeInteger(literal: beginLiteral),
            case .value(let end) = NonNegativeInteger(literal: endLiteral)
        else {
            throw .invalidField(file: file, tensor: name, field: "data_offsets", expected: offsetsExpectation)
        }
        guard begin <= end else {
            throw .reversedDataOffsets(file: file, tensor: name, begin: begin, end: end)
        }

        var elementCount = 1
        for dimension in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .byteSizeOverflow(file: file, tensor: name) }
            elementCount = product
        }
        let (bitCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.bitWidth)
        guard !overflow else { throw .byteSizeOverflow(file: file, tensor: name) }
        guard bitCount % 8 == 0 else {
            throw .partialByteTensor(file: file, tensor: name, dtype: dtype, elementCount: elementCount)
        }
        guard bitCount / 8 == end - begin else {
            throw .byteSizeMismatch(
                file: file, tensor: name, dtype: dtype, shape: shape,
                expectedByteCount: bitCount / 8, actualByteCount: end - begin)
        }
        return SafeTensorsTensorInfo(
            name: name, dtype: dtype, shape: shape, elementCount: elementCount, byteRange: begin..<end)
    }

    /// Checks that offset-sorted tensors tile the data section from byte 0 without gaps or
    /// overlaps (a hole could hide a second file format in the data, a polyglot file), and
    /// returns how many bytes they cover.
    private static func validateContiguity(
        of sortedTensors: [SafeTensorsTensorInfo], file: String?
    ) throws(SafeTensorsError) -> Int {
        var coveredByteCount = 0
        var previous: SafeTensorsTensorInfo?
        for tensor in sortedTensors {
            let begin = tensor.byteRange.lowerBound
            if let previous, begin < coveredByteCount {
                throw .overlappingTensors(
                    file: file, tensor: tensor.name, previousTensor: previous.name,
                    begin: begin, previousEnd: coveredByteCount)
            }
            guard begin == coveredByteCount else {
                throw .gapBeforeTensor(file: file, tensor: tensor.name, expectedBegin: coveredByteCount, begin: begin)
            }
            coveredByteCount = tensor.byteRange.upperBound
            previous = tensor
        }
        return coveredByteCount
    }
}

/// How a JSON number literal reads as a size or offset.
private enum NonNegativeInteger {
    case value(Int)
    /// Digits only, but beyond `Int.max`.
    case tooLarge
    /// Negative, fractional or in exponent form, which the reference implementation rejects too.
    case invalid

    init(literal: String) {
        if literal.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            self = Int(literal).map(Self.value) ?? .tooLarge
        } else {
            self = .invalid
        }
    }
}
