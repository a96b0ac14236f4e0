import Foundation
import Model
import XCTest

final class SafeTensorsTests: XCTestCase {
    // MARK: Round trips

    func testSerializedFloat32TensorsParseBackWithTheirShapesOffsetsAndValues() throws {
        let bytes = try SafeTensorsWriter.serialize([
            .init(
                name: "weight", shape: [2, 3],
                values: [1, -2, 3.5, 0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude]),
            .init(name: "scalar", shape: [], values: [42]),
            .init(name: "empty", shape: [0, 4], values: []),
        ])
        let file = try SafeTensorsFile(bytes: bytes)

        XCTAssertEqual(file.tensors.map(\.name), ["weight", "scalar", "empty"])
        let weight = try XCTUnwrap(file.info("weight"))
        XCTAssertEqual(weight.dtype, .f32)
        XCTAssertEqual(weight.shape, [2, 3])
        XCTAssertEqual(weight.elementCount, 6)
        XCTAssertEqual(weight.byteRange, 0..<24)
        XCTAssertEqual(file.info("scalar")?.byteRange, 24..<28)
        XCTAssertEqual(file.info("empty")?.byteRange, 28..<28)
        XCTAssertEqual(try file.floats("weight"), [1, -2, 3.5, 0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude])
        XCTAssertEqual(try file.floats("scalar"), [42])
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertEqual(file.metadata, [:])
    }

    func testWrittenFileOpensFromDiskWithTheSameTensors() throws {
        let url = try makeTemporaryDirectory().appendingPathComponent("model.safetensors")
        let values = (0..<12).map { Float($0) / 3 }
        try SafeTensorsWriter.write([.init(name: "layer.0.weight", shape: [3, 4], values: values)], to: url)

        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.tensors.map(\.shape), [[3, 4]])
        XCTAssertEqual(try file.floats("layer.0.weight"), values)
    }

    func testWriteReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws {
        let directory = try makeTemporaryDirectory()
        let url = directory.appendingPathComponent("checkpoint.safetensors")
        try SafeTensorsWriter.write([.init(name: "old", shape: [1], values: [1])], to: url)
        let openedBeforeReplacement = try SafeTensorsFile(contentsOf: url)

        try SafeTensorsWriter.write([.init(name: "new", shape: [2], values: [2, 3])], to: url)

        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["checkpoint.safetensors"])
        XCTAssertEqual(try SafeTensorsFile(contentsOf: url).floats("new"), [2, 3])
        // The earlier mapping still sees the old file, because the writer renames instead of truncating.
        XCTAssertEqual(try openedBeforeReplacement.floats("old"), [1])
    }

    func testWriterBorrowsSlicesOfOneParameterBufferWithoutCopying() throws {
        let parameters: [Float] = (0..<10).map(Float.init)
        let bytes = try parameters.withUnsafeBufferPointer { buffer in
            try SafeTensorsWriter.serialize([
                .init(name: "first", shape: [2, 2], values: UnsafeBufferPointer(rebasing: buffer[0..<4])),
                .init(name: "second", shape: [6], values: UnsafeBufferPointer(rebasing: buffer[4..<10])),
            ])
        }
        let file = try SafeTensorsFile(bytes: bytes)
        XCTAssertEqual(try file.floats("first"), [0, 1, 2, 3])
        XCTAssertEqual(try file.floats("second"), [4, 5, 6, 7, 8, 9])
    }

    func testMetadataRoundTripsIncludingCharactersThatNeedEscaping() throws {
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n bell \u{07} ünïcödé 🙂"]
        let name = "tensor \"quoted\"\t\u{01}é"
        let bytes = try SafeTensorsWriter.serialize([.init(name: name, shape: [1], values: [7])], metadata: metadata)
        let file = try SafeTensorsFile(bytes: bytes)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(try file.floats(name), [7])
    }

    func testReaderDecodesJSONEscapesIncludingSurrogatePairs() throws {
        let file = try SafeTensorsFile(
            bytes: fileBytes(
                header: #"{"__metadata__":{"k\/\b\f\r":"\u00e9\uD83D\uDE42\u0041"}}"#))
        XCTAssertEqual(file.metadata, ["k/\u{08}\u{0C}\r": "é🙂A"])
    }

    // MARK: Writer layout

    func testEmptyTensorListSerializesToTheReferenceBytes() throws {
        // Expected bytes from the reference implementation's test_empty.
        XCTAssertEqual(try SafeTensorsWriter.serialize([]), [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        XCTAssertEqual(
            try SafeTensorsWriter.serialize([], metadata: ["framework": "pt"]),
            fileBytes(header: #"{"__metadata__":{"framework":"pt"}}     "#))
    }

    func testSingleTensorSerializesToTheReferenceBytes() throws {
        // Expected bytes from the reference implementation's test_serialization_forced_alignement.
        let bytes = try SafeTensorsWriter.serialize([
            .init(name: "attn0", shape: [1, 1, 2, 3], values: [0, 1, 2, 3, 4, 5])
        ])
        let expectedHeader = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       "#
        XCTAssertEqual(bytes, fileBytes(header: expectedHeader, data: littleEndianBytes([Float]([0, 1, 2, 3, 4, 5]))))
    }

    func testHeaderIsPaddedWithSpacesSoTheDataSectionIsEightByteAligned() throws {
        for nameLength in 1...16 {
            let bytes = try SafeTensorsWriter.serialize([
                .init(name: String(repeating: "x", count: nameLength), shape: [1], values: [1])
            ])
            let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            XCTAssertEqual((8 + headerLength) % 8, 0, "name length \(nameLength)")
            let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
            let paddingCount = header.reversed().prefix { $0 == " " }.count
            XCTAssertLessThan(paddingCount, 8, "name length \(nameLength)")
            XCTAssertEqual(header.dropLast(paddingCount).last, "}", "name length \(nameLength)")
        }
    }

    func testHeaderOrderIsDeterministicMetadataSortedAndTensorsAsGiven() throws {
        let keys = (0..<20).map { "key\($0)" }
        let forward = Dictionary(uniqueKeysWithValues: keys.map { ($0, "v") })
        let backward = Dictionary(uniqueKeysWithValues: keys.reversed().map { ($0, "v") })
        let tensors: [SafeTensorsWriter.Tensor] = [
            .init(name: "zeta", shape: [1], values: [1]), .init(name: "alpha", shape: [1], values: [2]),
        ]
        let first = try SafeTensorsWriter.serialize(tensors, metadata: forward)
        XCTAssertEqual(first, try SafeTensorsWriter.serialize(tensors, metadata: backward))

        let header = String(decoding: first.dropFirst(8), as: UTF8.self)
        let metadataText = keys.sorted().map { "\"\($0)\":\"v\"" }.joined(separator: ",")
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":{\(metadataText)},\"zeta\":"), header)
        XCTAssertEqual(try SafeTensorsFile(bytes: first).tensors.map(\.name), ["zeta", "alpha"])
    }

    // MARK: Writer errors

    func testWriterRejectsDuplicateTensorNames() {
        assertWritingFails(
            [.init(name: "w", shape: [1], values: [1]), .init(name: "w", shape: [1], values: [2])],
            with: .duplicateTensorName("w"))
    }

    func testWriterRejectsTheReservedMetadataName() {
        assertWritingFails(
            [.init(name: "__metadata__", shape: [1], values: [1])], with: .reservedTensorName("__metadata__"))
    }

    func testWriterRejectsNegativeOrOverflowingShapes() {
        assertWritingFails(
            [.init(name: "w", shape: [-1, -2], values: [1, 2])], with: .invalidShape(tensor: "w", shape: [-1, -2]))
        let huge = [Int.max / 2, 3]
        assertWritingFails([.init(name: "w", shape: huge, values: [])], with: .invalidShape(tensor: "w", shape: huge))
        let tooManyBytes = [Int.max / 2]
        assertWritingFails(
            [.init(name: "w", shape: tooManyBytes, values: [])], with: .invalidShape(tensor: "w", shape: tooManyBytes))
    }

    func testWriterRejectsValueCountsThatDoNotMatchTheShape() {
        assertWritingFails(
            [.init(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5])],
            with: .elementCountMismatch(tensor: "w", shape: [2, 3], elementCount: 6, valueCount: 5))
    }

    func testWriterRejectsHeadersAboveTheReaderLimit() {
        // Built from bytes because String(repeating:count:) is slow in debug builds.
        let bigValue = String(
            decoding: [UInt8](repeating: UInt8(ascii: "a"), count: SafeTensorsFile.maximumHeaderByteCount),
            as: UTF8.self)
        let metadata = ["big": bigValue]
        // {"__metadata__":{"big":"…"}} is 27 bytes plus the value, padded up to a multiple of 8.
        assertWritingFails([], metadata: metadata, with: .serializedHeaderTooLarge(byteCount: 100_000_032))
    }

    func testWritingIntoAMissingDirectoryReportsTheDirectory() throws {
        let directory = try makeTemporaryDirectory().appendingPathComponent("missing")
        XCTAssertThrowsError(
            try SafeTensorsWriter.write([], to: directory.appendingPathComponent("model.safetensors"))
        ) { error in
            XCTAssertEqual(
                error as? SafeTensorsError,
                .fileSystemFailure(
                    path: directory.path, operation: "create a temporary file in", reason: "No such file or directory"))
        }
    }

    // MARK: Reading tensors

    func testF16ConvertsKnownBitPatternsExactly() throws {
        let cases: [(bits: UInt16, value: Float)] = [
            (0x3C00, 1), (0xC100, -2.5), (0x7BFF, 65504), (0xFBFF, -65504),
            (0x0001, 0x1p-24), (0x8001, -0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x0400, 0x1p-14),
            (0x0000, 0), (0x8000, -0.0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        let values = try floats(of: .f16, bits: cases.map(\.bits) + [0x7E00, 0xFE01])
        for (index, expected) in cases.enumerated() {
            XCTAssertEqual(
                values[index].bitPattern, expected.value.bitPattern, "F16 bits 0x\(String(expected.bits, radix: 16))")
        }
        XCTAssertTrue(values[cases.count].isNaN)
        XCTAssertTrue(values[cases.count + 1].isNaN)
    }

    func testBF16ConvertsKnownBitPatternsExactly() throws {
        let cases: [(bits: UInt16, value: Float)] = [
            (0x3F80, 1), (0xC020, -2.5), (0x4780, 65536), (0x477F, 65280), (0x7F7F, 0x1.FEp127),
            (0x0001, 0x1p-133), (0x8000, -0.0), (0x7F80, .infinity), (0xFF80, -.infinity),
        ]
        let values = try floats(of: .bf16, bits: cases.map(\.bits) + [0x7FC0])
        for (index, expected) in cases.enumerated() {
            XCTAssertEqual(
                values[index].bitPattern, expected.value.bitPattern, "BF16 bits 0x\(String(expected.bits, radix: 16))")
        }
        XCTAssertTrue(values[cases.count].isNaN)
    }

    func testTensorsAtUnalignedAddressesReadCorrectly() throws {
        // An odd header length puts every tensor at an odd address.
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"#
            + #""i":{"dtype":"I64","shape":[2],"data_offsets":[12,28]}}"#
        let paddedHeader = header + String(repeating: " ", count: header.utf8.count % 2 == 0 ? 1 : 0)
        XCTAssertEqual(paddedHeader.utf8.count % 2, 1)
        let data =
            littleEndianBytes([1.5, -3] as [Float]) + littleEndianBytes([0x3C00, 0xC100] as [UInt16])
            + littleEndianBytes([-7, 1 << 40] as [Int64])
        let file = try SafeTensorsFile(bytes: fileBytes(header: paddedHeader, data: data))
        XCTAssertEqual(try file.floats("a"), [1.5, -3])
        XCTAssertEqual(try file.floats("h"), [1, -2.5])
        XCTAssertEqual(try file.readInt64s("i"), [-7, 1 << 40])
    }

    func testInt64TensorsReadAsTokenIds() throws {
        let ids: [Int64] = [0, 1, -2, .max, .min]
        let file = try SafeTensorsFile(
            bytes: fileBytes(
                header: #"{"ids":{"dtype":"I64","shape":[5],"data_offsets":[0,40]}}"#, data: littleEndianBytes(ids)))
        XCTAssertEqual(try file.readInt64s("ids"), ids)
    }

    func testReadFloatsFillsACallerBufferOfExactlyTheElementCount() throws {
        let file = try SafeTensorsFile(
            bytes: SafeTensorsWriter.serialize([.init(name: "w", shape: [3], values: [4, 5, 6])]))
        var destination = [Float](repeating: 0, count: 5)
        try destination.withUnsafeMutableBufferPointer { buffer in
            try file.readFloats("w", into: UnsafeMutableBufferPointer(rebasing: buffer[1..<4]))
        }
        XCTAssertEqual(destination, [0, 4, 5, 6, 0])

        XCTAssertThrowsError(try destination.withUnsafeMutableBufferPointer { try file.readFloats("w", into: $0) }) {
            error in
            XCTAssertEqual(
                error as? SafeTensorsError,
                .destinationCountMismatch(
                    file: nil, tensor: "w", elementCount: 3, destinationCount: 5))
        }
    }

    func testReadingAMissingTensorNamesIt() throws {
        let file = try SafeTensorsFile(bytes: SafeTensorsWriter.serialize([]))
        XCTAssertNil(file.info("absent"))
        XCTAssertThrowsError(try file.floats("absent")) { error in
            XCTAssertEqual(error as? SafeTensorsError, .tensorNotFound(file: nil, tensor: "absent"))
        }
        XCTAssertThrowsError(try file.readInt64s("absent")) { error in
            XCTAssertEqual(error as? SafeTensorsError, .tensorNotFound(file: nil, tensor: "absent"))
        }
    }

    func testReadingATensorAsAnUnsupportedTypeNamesTheTensorAndDType() throws {
        let file = try SafeTensorsFile(
            bytes: fileBytes(
                header: headerJSON(
                    tensorEntry("ids", "I64", shape: "[1]", offsets: "[0,8]"),
                    tensorEntry("w", "F32", shape: "[1]", offsets: "[8,12]")),
                data: Array(repeating: 0, count: 12)))
        XCTAssertThrowsError(try file.floats("ids")) { error in
            XCTAssertEqual(
                error as? SafeTensorsError,
                .unsupportedConversion(
                    file: nil, tensor: "ids", dtype: .i64, target: "Float", supported: [.f32, .f16, .bf16]))
        }
        XCTAssertThrowsError(try file.readInt64s("w")) { error in
            XCTAssertEqual(
                error as? SafeTensorsError,
                .unsupportedConversion(
                    file: nil, tensor: "w", dtype: .f32, target: "Int64", supported: [.i64]))
        }
    }

    func testTensorsAreListedInOffsetOrderWhateverTheHeaderOrder() throws {
        let file = try SafeTensorsFile(
            bytes: fileBytes(
                header: headerJSON(
                    tensorEntry("late", "U8", shape: "[2]", offsets: "[3,5]"),
                    tensorEntry("nothing", "F32", shape: "[0]", offsets: "[3,3]"),
                    tensorEntry("early", "U8", shape: "[3]", offsets: "[0,3]")),
                data: [1, 2, 3, 4, 5]))
        XCTAssertEqual(file.tensors.map(\.name), ["early", "nothing", "late"])
        XCTAssertEqual(file.info("late")?.byteRange, 3..<5)
    }

    func testSubByteTensorsThatFillWholeBytesAreAccepted() throws {
        let file = try SafeTensorsFile(
            bytes: fileBytes(
                header: #"{"packed":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}"#, data: [0, 0]))
        XCTAssertEqual(file.info("packed")?.dtype, .f4)
    }

    func testNullMetadataAndUnknownEntryFieldsAreAcceptedLikeTheReference() throws {
        let file = try SafeTensorsFile(
            bytes: fileBytes(
                header: #"{"__metadata__":null,"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":true}}"#,
                data: [9]))
        XCTAssertEqual(file.metadata, [:])
        XCTAssertEqual(file.info("w")?.shape, [1])
    }

    // MARK: Opening files

    func testOpeningAMissingFileReportsThePath() throws {
        let url = try makeTemporaryDirectory().appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
            XCTAssertEqual(
                error as? SafeTensorsError,
                .fileSystemFailure(
                    path: url.path, operation: "open", reason: "No such file or directory"))
        }
    }

    func testOpeningADirectoryIsRejected() throws {
        let directory = try makeTemporaryDirectory()
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: directory)) { error in
            XCTAssertEqual(
                error as? SafeTensorsError,
                .fileSystemFailure(
                    path: directory.path, operation: "map", reason: "it is not a regular file"))
        }
    }

    func testErrorsFromFilesNameTheFileAndTheTensor() throws {
        let url = try makeTemporaryDirectory().appendingPathComponent("broken.safetensors")
        try Data(
            fileBytes(
                header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#,
                data: Array(repeating: 0, count: 12))
        )
        .write(to: url)
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
            let expected = SafeTensorsError.byteSizeMismatch(
                file: url.path, tensor: "w", dtype: .f32, shape: [2, 2], expectedByteCount: 16, actualByteCount: 12)
            XCTAssertEqual(error as? SafeTensorsError, expected)
            XCTAssertEqual(
                String(describing: error),
                "Tensor \"w\" in '\(url.path)' has data_offsets spanning 12 bytes, but F32 shape [2, 2] needs 16.")
        }
    }

    func testEmptyFileOnDiskIsTooShort() throws {
        let url = try makeTemporaryDirectory().appendingPathComponent("empty.safetensors")
        XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: Data()))
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .fileTooShort(file: url.path, byteCount: 0))
        }
    }

    // MARK: Malformed files, one per validation rule

    func testFileShorterThanTheLengthPrefixIsRejected() {
        assertReadingFails([1, 2, 3, 4, 5], with: .fileTooShort(file: nil, byteCount: 5))
    }

    func testHeaderLengthAboveTheLimitIsRejected() {
        assertReadingFails(
            littleEndianBytes([UInt64(100_000_001)]) + Array("{}".utf8),
            with: .headerTooLarge(file: nil, headerByteCount: 100_000_001))
        assertReadingFails(littleEndianBytes([UInt64.max]), with: .headerTooLarge(file: nil, headerByteCount: .max))
    }

    func testHeaderLengthBeyondTheFileEndIsRejected() {
        assertReadingFails(
            littleEndianBytes([UInt64(60)]) + Array("{}".utf8),
            with: .headerExceedsFile(file: nil, headerByteCount: 60, fileByteCount: 10))
    }

    func testHeaderThatIsNotUTF8IsRejected() {
        assertReadingFails(fileBytes(headerBytes: [0x7B, 0xFF, 0x7D]), with: .headerNotUTF8(file: nil))
    }

    func testHeaderThatIsNotValidJSONIsRejectedWithTheOffset() {
        assertReadingFails(fileBytes(header: #"{"a":}"#), with: .headerNotJSON(file: nil, byteOffset: 5))
        assertReadingFails(fileBytes(header: #"{"a":{"dtype":"F32""#), with: .headerNotJSON(file: nil, byteOffset: 19))
        assertReadingFails(fileBytes(header: "{} x"), with: .headerNotJSON(file: nil, byteOffset: 3))
        assertReadingFails(fileBytes(header: "{\"a\u{01}\":1}"), with: .headerNotJSON(file: nil, byteOffset: 3))
        assertReadingFails(fileBytes(header: #"{"\uDE42":1}"#), with: .headerNotJSON(file: nil, byteOffset: 2))
    }

    func testDeeplyNestedHeaderIsRejectedWithoutExhaustingTheStack() {
        let header = #"{"a":"# + String(repeating: "[", count: 100_000)
        // The value of "a" is nesting level 1; the 33rd level, at byte 5 + 32, is refused.
        assertReadingFails(fileBytes(header: header), with: .headerNotJSON(file: nil, byteOffset: 37))
    }

    func testHeaderThatIsNotAnObjectIsRejected() {
        assertReadingFails(fileBytes(header: "[]"), with: .headerNotObject(file: nil))
        assertReadingFails(fileBytes(header: " {}"), with: .headerNotObject(file: nil))
        assertReadingFails(fileBytes(header: ""), with: .headerNotObject(file: nil))
    }

    func testDuplicateKeysAreRejected() {
        let entry = #"{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#
        assertReadingFails(
            fileBytes(header: #"{"w":\#(entry),"w":\#(entry)}"#, data: [0]), with: .duplicateKey(file: nil, key: "w"))
    }

    func testTensorEntryThatIsNotAnObjectIsRejected() {
        assertReadingFails(fileBytes(header: #"{"w":[1,2]}"#), with: .tensorEntryNotObject(file: nil, tensor: "w"))
    }

    func testTensorEntryMissingAFieldNamesTheField() {
        assertReadingFails(
            fileBytes(header: #"{"w":{"shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
            with: .missingField(file: nil, tensor: "w", field: "dtype"))
        assertReadingFails(
            fileBytes(header: #"{"w":{"dtype":"U8","data_offsets":[0,1]}}"#, data: [0]),
            with: .missingField(file: nil, tensor: "w", field: "shape"))
        assertReadingFails(
            fileBytes(header: #"{"w":{"dtype":"U8","shape":[1]}}"#, data: [0]),
            with: .missingField(file: nil, tensor: "w", field: "data_offsets"))
    }

    func testTensorFieldsOfTheWrongTypeNameTheField() {
        assertReadingFails(
            fileBytes(header: #"{"w":{"dtype":8,"shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
            with: .invalidField(
                file: nil, tensor: "w", field: "dtype", expected: "a string naming the element type, such as \"F32\""))
        let shapeExpectation = "an array of non-negative integers"
        assertReadingFails(
            fileBytes(header: #"{"w":{"dtype":"U8","shape":"1","data_offsets":[0,1]}}"#, data: [0]),
            with: .invalidField(file: nil, tensor: "w", field: "shape", expected: shapeExpectation))
        assertReadingFails(
            fileBytes(header: #"{"w":{"dtype":"U8","shape":["1"],"data_offsets":[0,1]}}"#, data: [0]),
            with: .invalidField(file: nil, tensor: "w", field: "shape", expected: shapeExpectation))
        let offsetsExpectation = "an array of two non-negative integers [begin, end]"
        for offsets in ["[1]", "[0,1,2]", "[-1,0]", "[0,1.0]", #"{"begin":0}"#, "[0,18446744073709551616]"] {
            assertReadingFails(
                fileBytes(header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":\#(offsets)}}"#, data: [0]),
                with: .invalidField(file: nil, tensor: "w", field: "data_offsets", expected: offsetsExpectation))
        }
    }

    func testUnknownDTypeIsNamed() {
        assertReadingFails(
            fileBytes(
                header: #"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#,
                data: Array(repeating: 0, count: 16)),
            with: .unknownDType(file: nil, tensor: "w", dtype: "F128"))
    }

    func testNegativeOrFractionalShapeDimensionsAreRejected() {
        for dimension in ["-1", "1.5", "2e0", "-0"] {
            assertReadingFails(
                fileBytes(header: #"{"w":{"dtype":"U8","shape":[\#(dimension)],"data_offsets":[0,0]}}"#),
                with: .invalidShapeDimension(file: nil, tensor: "w", dimension: dimension))
        }
    }

    func testDataOffsetsEndingBeforeTheyBeginAreRejected() {
        assertReadingFails(
            fileBytes(
                header: headerJSON(tensorEntry("w", "F32", shape: "[1]", offsets: "[8,4]")),
                data: Array(repeating: 0, count: 8)),
            with: .reversedDataOffsets(file: nil, tensor: "w", begin: 8, end: 4))
    }

    func testGapsBeforeOrBetweenTensorsAreRejected() {
        assertReadingFails(
            fileBytes(
                header: headerJSON(tensorEntry("w", "F32", shape: "[1]", offsets: "[4,8]")),
                data: Array(repeating: 0, count: 8)),
            with: .gapBeforeTensor(file: nil, tensor: "w", expectedBegin: 0, begin: 4))
        assertReadingFails(
            fileBytes(
                header: headerJSON(
                    tensorEntry("a", "F32", shape: "[1]", offsets: "[0,4]"),
                    tensorEntry("b", "F32", shape: "[1]", offsets: "[8,12]")),
                data: Array(repeating: 0, count: 12)),
            with: .gapBeforeTensor(file: nil, tensor: "b", expectedBegin: 4, begin: 8))
    }

    func testOverlappingTensorsAreRejectedNamingBoth() {
        assertReadingFails(
            fileBytes(
                header: headerJSON(
                    tensorEntry("b", "F32", shape: "[1]", offsets: "[4,8]"),
                    tensorEntry("a", "F32", shape: "[2]", offsets: "[0,8]")),
                data: Array(repeating: 0, count: 8)),
            with: .overlappingTensors(file: nil, tensor: "b", previousTensor: "a", begin: 4, previousEnd: 8))
    }

    func testByteSizeThatDisagreesWithShapeAndDTypeIsRejected() {
        assertReadingFails(
            fileBytes(
                header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#,
                data: Array(repeating: 0, count: 12)),
            with: .byteSizeMismatch(
                file: nil, tensor: "w", dtype: .f32, shape: [2, 2], expectedByteCount: 16, actualByteCount: 12))
    }

    func testShapesWhoseSizeOverflowsAreRejected() {
        // Cases from the reference implementation's test_validation_overflow, plus a byte-size overflow.
        for shape in ["[2,9223372036854775807]", "[2,18446744073709551614]", "[4611686018427387904]"] {
            assertReadingFails(
                fileBytes(
                    header: #"{"w":{"dtype":"I32","shape":\#(shape),"data_offsets":[0,16]}}"#,
                    data: Array(repeating: 0, count: 16)),
                with: .byteSizeOverflow(file: nil, tensor: "w"))
        }
    }

    func testSubByteTensorsThatEndMidByteAreRejected() {
        assertReadingFails(
            fileBytes(header: #"{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: [0, 0]),
            with: .partialByteTensor(file: nil, tensor: "w", dtype: .f4, elementCount: 3))
    }

    func testDataSectionWithTrailingOrMissingBytesIsRejected() {
        let header = #"{"w":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}"#
        assertReadingFails(
            fileBytes(header: header, data: Array(repeating: 0, count: 20)),
            with: .dataSectionLengthMismatch(file: nil, coveredByteCount: 16, dataSectionByteCount: 20))
        assertReadingFails(
            fileBytes(header: header, data: Array(repeating: 0, count: 14)),
            with: .dataSectionLengthMismatch(file: nil, coveredByteCount: 16, dataSectionByteCount: 14))
    }

    func testMetadataThatIsNotAnObjectIsRejected() {
        assertReadingFails(fileBytes(header: #"{"__metadata__":["a"]}"#), with: .metadataNotObject(file: nil))
        assertReadingFails(fileBytes(header: #"{"__metadata__":"a"}"#), with: .metadataNotObject(file: nil))
    }

    func testMetadataValuesThatAreNotStringsAreRejected() {
        assertReadingFails(
            fileBytes(header: #"{"__metadata__":{"ok":"yes","step":1}}"#),
            with: .metadataValueNotString(file: nil, key: "step"))
    }

    // MARK: Helpers

    private func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The values a one-tensor file of 16-bit `dtype` elements with these bit patterns reads as.
    private func floats(of dtype: SafeTensorsDType, bits: [UInt16]) throws -> [Float] {
        let header =
            #"{"t":{"dtype":"\#(dtype.rawValue)","shape":[\#(bits.count)],"data_offsets":[0,\#(bits.count * 2)]}}"#
        return try SafeTensorsFile(bytes: fileBytes(header: header, data: littleEndianBytes(bits))).floats("t")
    }
}

/// A header's JSON text: an object with the given members.
private func headerJSON(_ members: String...) -> String {
    "{" + members.joined(separator: ",") + "}"
}

/// A tensor's header member as JSON text; the fields are raw JSON so tests can malform them.
private func tensorEntry(_ name: String, _ dtype: String, shape: String, offsets: String) -> String {
    #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
}

/// A safetensors file: the length prefix for `header`, the header, then `data`.
private func fileBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    fileBytes(headerBytes: Array(header.utf8), data: data)
}

private func fileBytes(headerBytes: [UInt8], data: [UInt8] = []) -> [UInt8] {
    littleEndianBytes([UInt64(headerBytes.count)]) + headerBytes + data
}

private func littleEndianBytes<Integer: FixedWidthInteger>(_ values: [Integer]) -> [UInt8] {
    values.flatMap { value in
        (0..<MemoryLayout<Integer>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}

private func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    littleEndianBytes(values.map(\.bitPattern))
}

private func assertReadingFails(
    _ bytes: [UInt8], with expected: SafeTensorsError, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try SafeTensorsFile(bytes: bytes), file: file, line: line) { error in
        XCTAssertEqual(error as? SafeTensorsError, expected, file: file, line: line)
    }
}

private func assertWritingFails(
    _ tensors: [SafeTensorsWriter.Tensor], metadata: [String: String]? = nil, with expected: SafeTensorsError,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try SafeTensorsWriter.serialize(tensors, metadata: metadata), file: file, line: line) {
        error in
        XCTAssertEqual(error as? SafeTensorsError, expected, file: file, line: line)
    }
}
