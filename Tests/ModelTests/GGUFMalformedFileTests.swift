import Model
import XCTest

/// A GGUF file is untrusted input: each way of breaking one is refused with its own case of
/// GGUFError, and the message names the key or tensor at fault.
final class GGUFMalformedFileTests: XCTestCase {
    private let fileName = "broken.gguf"

    private func read(_ bytes: [UInt8]) throws -> GGUFFile { try GGUFFile(bytes: bytes, name: fileName) }

    private func assertRefused(
        _ bytes: [UInt8], _ expected: GGUFError, naming words: [String] = [], line: UInt = #line
    ) {
        XCTAssertThrowsError(try read(bytes), line: line) { error in
            XCTAssertEqual(error as? GGUFError, expected, line: line)
            for word in words + [fileName] { XCTAssertTrue("\(error)".contains(word), "\(error) lacks \(word)", line: line) }
        }
    }

    func testTheValidFileReadsEveryValueTypeAndTensor() throws {
        let file = try read(GGUFTestFile.valid().build().bytes)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadata["general.architecture"], .string("llama"))
        XCTAssertEqual(file.metadata["test.u8"], .uint8(200))
        XCTAssertEqual(file.metadata["test.i8"], .int8(-2))
        XCTAssertEqual(file.metadata["test.u16"], .uint16(60000))
        XCTAssertEqual(file.metadata["test.i16"], .int16(-2))
        XCTAssertEqual(file.metadata["test.u32"], .uint32(4_000_000_000))
        XCTAssertEqual(file.metadata["test.i32"], .int32(-7))
        XCTAssertEqual(file.metadata["test.f32"], .float32(1.5))
        XCTAssertEqual(file.metadata["test.bool"], .bool(true))
        XCTAssertEqual(file.metadata["test.u64"], .uint64(1 << 40))
        XCTAssertEqual(file.metadata["test.i64"], .int64(-1 << 40))
        XCTAssertEqual(file.metadata["test.f64"], .float64(0.25))
        XCTAssertEqual(file.metadata["test.strings"], .array([.string("a"), .string("βγ")]))
        XCTAssertEqual(file.metadata["test.nested"], .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        XCTAssertEqual(file.keys.first, "general.architecture")
        XCTAssertEqual(file.tensors.map(\.name), ["first", "second", "third"])
        XCTAssertEqual(file.tensors[0].shape, [2, 4])
        XCTAssertEqual(try file.floats(of: file.tensors[0]), (0..<8).map(Float.init))
        XCTAssertEqual(try file.floats(of: file.tensors[1]), [-1, -2, -3])
    }

    func testBadMagicAndVersionsOtherThanTwoAndThreeAreRefused() throws {
        var file = GGUFTestFile.valid()
        file.magic = Array("GGML".utf8)
        assertRefused(file.build().bytes, .badMagic(file: fileName))
        for version: UInt32 in [1, 4] {
            file = GGUFTestFile.valid()
            file.version = version
            assertRefused(file.build().bytes, .unsupportedVersion(file: fileName, version: version), naming: ["version \(version)"])
        }
        file = GGUFTestFile.valid()
        file.version = 2
        XCTAssertEqual(try read(file.build().bytes).version, 2)
    }

    func testAFileTruncatedInEachRegionIsRefused() throws {
        let (bytes, marks) = GGUFTestFile.valid().build()
        let cuts: [(Int, GGUFError)] = [
            (0, .truncated(file: fileName, region: "the header")),
            (10, .truncated(file: fileName, region: "the header")),
            (marks["kv.test.u8"]! + 4, .truncated(file: fileName, region: "the key of metadata entry 1")),
            (marks["value.test.u32"]! + 2, .truncated(file: fileName, region: "the value of key 'test.u32'")),
            (marks["value.test.strings"]! + 3, .truncated(file: fileName, region: "the value of key 'test.strings'")),
            (marks["tensor.second"]! + 2, .truncated(file: fileName, region: "the name of tensor 1")),
            (marks["tensor.second.offset"]!, .truncated(file: fileName, region: "the info of tensor 'second'")),
            (marks["data.third"]! + 4, .tensorPastEnd(file: fileName, tensor: "third", offset: UInt64(marks["data.third"]! - marks["data"]!),
                                                       byteCount: 32, dataByteCount: marks["data.third"]! + 4 - marks["data"]!)),
        ]
        for (length, expected) in cuts {
            assertRefused(Array(bytes[..<length]), expected)
        }
        // Cut inside a string's bytes.
        assertRefused(Array(bytes[..<(marks["kv.test.u8"]! + 10)]), .truncated(file: fileName, region: "the key of metadata entry 1"))
    }

    func testCountsLargerThanTheFileAreRefusedBeforeAnythingIsAllocated() throws {
        var file = GGUFTestFile.valid()
        file.metadata[12].value = GGUFTestFile.le(UInt32(8)) + GGUFTestFile.le(UInt64(1) << 60)
        assertRefused(file.build().bytes, .countTooLarge(file: fileName, what: "the array length of key 'test.strings'", count: 1 << 60),
                      naming: ["'test.strings'"])

        file = GGUFTestFile.valid()
        file.tensorCount = UInt64.max
        assertRefused(file.build().bytes, .countTooLarge(file: fileName, what: "the tensor count", count: UInt64.max))

        var (bytes, marks) = GGUFTestFile.valid().build()
        let at = marks["value.general.architecture"]!
        bytes.replaceSubrange(at..<at + 8, with: GGUFTestFile.le(UInt64(1) << 62))
        assertRefused(bytes, .countTooLarge(file: fileName, what: "the length of the value of key 'general.architecture'", count: 1 << 62),
                      naming: ["'general.architecture'"])
    }

    func testMetadataOfMoreValuesThanAnyVocabularyNeedsIsRefused() throws {
        // Two uint8 arrays of 2²² + 1 elements: each is within the file, together over the budget,
        // which keeps a file from asking for ~24 bytes of memory per byte.
        let half = (GGUFFile.maximumMetadataValues / 2) + 1
        var file = GGUFTestFile.valid()
        for key in ["test.bytes.a", "test.bytes.b"] {
            file.metadata.append((key, 9, GGUFTestFile.le(UInt32(0)) + GGUFTestFile.le(half) + [UInt8](repeating: 7, count: Int(half))))
        }
        assertRefused(file.build().bytes, .tooManyMetadataValues(file: fileName, key: "test.bytes.b", limit: GGUFFile.maximumMetadataValues),
                      naming: ["'test.bytes.b'"])
        file.metadata.removeLast()
        XCTAssertNoThrow(try read(file.build().bytes))
    }

    func testUnknownMetadataAndTensorTypesAreRefusedByName() throws {
        var file = GGUFTestFile.valid()
        file.metadata[1].type = 13
        assertRefused(file.build().bytes, .unknownValueType(file: fileName, key: "test.u8", type: 13), naming: ["'test.u8'"])

        file = GGUFTestFile.valid()
        file.metadata[12].value = GGUFTestFile.le(UInt32(77)) + GGUFTestFile.le(UInt64(1))
        assertRefused(file.build().bytes, .unknownValueType(file: fileName, key: "test.strings", type: 77))

        file = GGUFTestFile.valid()
        file.tensors[1].type = 99
        assertRefused(file.build().bytes, .unknownTensorType(file: fileName, tensor: "second", type: 99), naming: ["'second'"])
    }

    func testTensorDataMustBeAlignedInsideTheFileAndApart() throws {
        var file = GGUFTestFile.valid()
        file.tensors[2].offset = 1 << 40
        let end = file.build().bytes.count - file.build().marks["data"]!
        assertRefused(file.build().bytes, .tensorPastEnd(file: fileName, tensor: "third", offset: 1 << 40, byteCount: 32, dataByteCount: end),
                      naming: ["'third'"])

        file = GGUFTestFile.valid()
        file.tensors[1].offset = 36
        assertRefused(file.build().bytes, .misalignedOffset(file: fileName, tensor: "second", offset: 36, alignment: 32), naming: ["'second'"])

        file = GGUFTestFile.valid()
        file.tensors[1].offset = 0
        file.tensors[2].offset = 64
        assertRefused(file.build().bytes, .overlappingTensors(file: fileName, tensor: "second", other: "first"), naming: ["'second'", "'first'"])

        // The alignment a file declares is the one its offsets are held to.
        file = GGUFTestFile.valid()
        file.alignment = 64
        file.metadata.append(("general.alignment", 4, GGUFTestFile.le(UInt32(64))))
        XCTAssertEqual(try read(file.build().bytes).alignment, 64)
        file.metadata[file.metadata.count - 1].value = GGUFTestFile.le(UInt32(48))
        assertRefused(file.build().bytes, .invalidAlignment(file: fileName, value: "uint32(48)"), naming: ["general.alignment"])
    }

    func testDimensionsThatOverflowOrAreTooManyOrSplitABlockAreRefused() throws {
        var file = GGUFTestFile.valid()
        file.tensors[0].dimensions = [1 << 40, 1 << 40]
        assertRefused(file.build().bytes, .dimensionsOverflow(file: fileName, tensor: "first", dimensions: [1 << 40, 1 << 40]),
                      naming: ["'first'"])

        file = GGUFTestFile.valid()
        file.tensors[0].dimensions = [UInt64.max]
        assertRefused(file.build().bytes, .dimensionsOverflow(file: fileName, tensor: "first", dimensions: [UInt64.max]))

        file = GGUFTestFile.valid()
        file.tensors[0].dimensions = [1, 1, 1, 1, 8]
        assertRefused(file.build().bytes, .tooManyDimensions(file: fileName, tensor: "first", count: 5), naming: ["'first'"])

        file = GGUFTestFile.valid()
        file.tensors[0] = .init(name: "q", dimensions: [48], type: 2, offset: nil, data: Array(repeating: 0, count: 36))
        assertRefused(file.build().bytes, .rowNotBlockMultiple(file: fileName, tensor: "q", type: "Q4_0", rowLength: 48, blockSize: 32),
                      naming: ["'q'"])
    }

    func testRepeatedKeysAndTensorsAndDeepNestingAreRefused() throws {
        var file = GGUFTestFile.valid()
        file.metadata.append(("test.u8", 0, [1]))
        assertRefused(file.build().bytes, .duplicateKey(file: fileName, key: "test.u8"), naming: ["'test.u8'"])

        file = GGUFTestFile.valid()
        file.tensors[2].name = "first"
        assertRefused(file.build().bytes, .duplicateTensor(file: fileName, tensor: "first"), naming: ["'first'"])

        file = GGUFTestFile.valid()
        var nested = GGUFTestFile.le(UInt32(5)) + GGUFTestFile.le(UInt64(0))
        for _ in 0..<GGUFFile.maximumArrayNesting { nested = GGUFTestFile.le(UInt32(9)) + GGUFTestFile.le(UInt64(1)) + nested }
        file.metadata.append(("test.deep", 9, nested))
        assertRefused(file.build().bytes, .nestingTooDeep(file: fileName, key: "test.deep", limit: GGUFFile.maximumArrayNesting),
                      naming: ["'test.deep'"])
    }

    func testInvalidUTF8InAKeyIsRefused() throws {
        var (bytes, marks) = GGUFTestFile.valid().build()
        bytes[marks["kv.test.u8"]! + 8] = 0xFF
        assertRefused(bytes, .invalidUTF8(file: fileName, what: "the key of metadata entry 1"))
    }
}
