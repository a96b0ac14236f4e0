import Foundation
import Model
import Store
import XCTest

/// The checkpoint object codecs: full objects (one zstd frame) and deltas against a parent
/// (docs/store.md). Every round trip is checked byte for byte.
final class ObjectCodecTests: XCTestCase {
    private let settings = CompressionSettings(workers: 2)

    // MARK: full objects

    func testFullObjectRoundTripsRandomFloats() throws {
        let file = try randomFile(seed: 1, shapes: [[300, 200], [77], [5, 7, 11]])
        for workers in [0, 1, 4] {
            let object = try ObjectCodec.encodeFull(file, settings: CompressionSettings(workers: workers))
            XCTAssertEqual(try ObjectCodec.decodeFull(object), file, "workers \(workers)")
            XCTAssertEqual(try ObjectCodec.decodeFull(object, expectedByteCount: file.count), file)
        }
    }

    func testFullObjectRoundTripsLargeTrainedLookingWeights() throws {
        // Several MiB: several 2 MiB frames, compressed and restored on several threads.
        let pair = try TrainedLookingPair(seed: 2, layerCount: 8)
        XCTAssertGreaterThan(pair.target.count, 3 * (2 << 20))
        let object = try ObjectCodec.encodeFull(pair.target, settings: CompressionSettings(workers: 2))
        XCTAssertEqual(try ObjectCodec.encodeFull(pair.target, settings: CompressionSettings(workers: 1)), object)
        for threads in [1, 2, 3] {
            XCTAssertEqual(try ObjectCodec.decodeFull(object, threads: threads), pair.target)
        }
        XCTAssertLessThan(object.count, pair.target.count)
        // Cut between two frames: the object declares fewer bytes than expected.
        XCTAssertThrowsError(try ObjectCodec.decodeFull(Array(object.prefix(object.count / 2)), expectedByteCount: pair.target.count))
    }

    func testFullObjectRoundTripsEmptyAndTinyInputs() throws {
        for bytes in [[], [0x42], Array(repeating: 0, count: 1 << 20)] as [[UInt8]] {
            let object = try ObjectCodec.encodeFull(bytes, settings: settings)
            XCTAssertEqual(try ObjectCodec.decodeFull(object), bytes)
        }
    }

    func testZstdCommandLineDecompressesFullObjects() throws {
        guard let zstd = executable(named: "zstd") else { throw XCTSkip("the zstd command is not installed") }
        let file = try TrainedLookingPair(seed: 3, layerCount: 4).target
        XCTAssertGreaterThan(file.count, 2 << 20, "several frames")
        let directory = try temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let objectURL = directory.appendingPathComponent("object.zst")
        let restoredURL = directory.appendingPathComponent("model.safetensors")
        for workers in [0, 2] {
            try Data(try ObjectCodec.encodeFull(file, settings: CompressionSettings(workers: workers))).write(to: objectURL)
            try? FileManager.default.removeItem(at: restoredURL)
            let status = try runProcess(zstd, ["-q", "-d", objectURL.path, "-o", restoredURL.path])
            XCTAssertEqual(status, 0)
            XCTAssertEqual(Array(try Data(contentsOf: restoredURL)), file, "workers \(workers)")
            // `zstd -t` checks the content checksum the frame carries.
            XCTAssertEqual(try runProcess(zstd, ["-q", "-t", objectURL.path]), 0)
        }
        // And the other way: a frame the command line wrote from a pipe has no content size.
        let pipedURL = directory.appendingPathComponent("piped.zst")
        try Data(file).write(to: restoredURL)
        XCTAssertEqual(try runProcess(zstd, ["-q", "-3", "-c", "-"], input: restoredURL, output: pipedURL), 0)
        XCTAssertEqual(try ObjectCodec.decodeFull(Array(try Data(contentsOf: pipedURL))), file)
        // Two such frames back to back, as `cat a.zst b.zst` makes them.
        let twice = Array(try Data(contentsOf: pipedURL)) + Array(try Data(contentsOf: pipedURL))
        XCTAssertEqual(try ObjectCodec.decodeFull(twice), file + file)
        XCTAssertThrowsError(try ObjectCodec.decodeFull(twice, expectedByteCount: file.count))
    }

    func testCorruptFullObjectsGiveTypedErrors() throws {
        let file = try randomFile(seed: 4, shapes: [[64, 32], [16]])
        let object = try ObjectCodec.encodeFull(file, settings: settings)
        // Every cut is an error: zstd finds the frame incomplete.
        for length in 0..<object.count {
            XCTAssertThrowsError(try ObjectCodec.decodeFull(Array(object[0..<length])), "cut at \(length)") { error in
                XCTAssertTrue(error is ObjectCodecError)
            }
        }
        // A flipped byte is an error, or lands where zstd ignores it (an unused header bit, a
        // larger window): the output is then still exact. Never wrong bytes, never a crash.
        var detected = 0
        for index in 0..<object.count {
            var corrupt = object
            corrupt[index] ^= 0xFF
            do {
                let decoded = try ObjectCodec.decodeFull(corrupt)
                XCTAssertEqual(decoded, file, "flip at \(index) gave wrong bytes")
            } catch {
                // Typed: decodeFull throws only ObjectCodecError.
                detected += 1
            }
        }
        XCTAssertGreaterThan(detected, object.count * 9 / 10)
        XCTAssertThrowsError(try ObjectCodec.decodeFull(object + [0])) { error in
            XCTAssertTrue(error is ObjectCodecError, "\(error)")
        }
        XCTAssertThrowsError(try ObjectCodec.decodeFull(object, expectedByteCount: file.count + 1)) { error in
            XCTAssertEqual(error as? ObjectCodecError, .unexpectedSize(expectedByteCount: file.count + 1, actualByteCount: file.count))
        }
        XCTAssertThrowsError(try ObjectCodec.decodeFull(file)) { error in
            guard case .corrupt = error as? ObjectCodecError else { return XCTFail("\(error)") }
        }
    }

    func testFullObjectDeclaringAnImpossibleSizeIsRejectedBeforeAllocating() throws {
        var object = try ObjectCodec.encodeFull(Array(repeating: 7, count: 100), settings: CompressionSettings(workers: 0))
        // Frame header: magic, descriptor; with a content size of 100 and the single-segment
        // flag the size is one byte right after the descriptor. Rewrite it as 8 bytes, 2⁶².
        let descriptor = object[4]
        XCTAssertEqual(descriptor & 0xC0, 0, "expected a 1-byte content size field")
        XCTAssertEqual(object[5], 100)
        object[4] = descriptor | 0xC0
        object.replaceSubrange(5..<6, with: withUnsafeBytes(of: (UInt64(1) << 62).littleEndian, Array.init))
        XCTAssertThrowsError(try ObjectCodec.decodeFull(object)) { error in
            XCTAssertTrue(error is ObjectCodecError, "\(error)")
        }
    }

    // MARK: delta objects

    func testDeltaRoundTripsRandomFloats() throws {
        let shapes = [[300, 200], [77], [5, 7, 11], [1 << 19]]
        let base = try randomFile(seed: 5, shapes: shapes)
        let target = try randomFile(seed: 6, shapes: shapes)
        let delta = try ObjectCodec.encodeDelta(base: base, target: target, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta), target)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta, threads: 1), target)
        // And back the other way.
        let reverse = try ObjectCodec.encodeDelta(base: target, target: base, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: target, delta: reverse), base)
    }

    func testDeltaRoundTripsTrainedLookingWeightsAndIsSmallerThanAFullObject() throws {
        let pair = try TrainedLookingPair(seed: 7, layerCount: 4)
        let delta = try ObjectCodec.encodeDelta(base: pair.base, target: pair.target, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: pair.base, delta: delta, expectedByteCount: pair.target.count), pair.target)
        let full = try ObjectCodec.encodeFull(pair.target, settings: settings)
        XCTAssertLessThan(Double(delta.count), 0.8 * Double(full.count), "delta \(delta.count) vs full \(full.count)")
    }

    func testUpdateOnAChangeGridIsStoredAsShiftedPlanesAndCostsLess() throws {
        // Weights moved by whole multiples of 2^16 units in the last place of their ordered
        // integers (as `ChangeGrid` leaves them), some across zero, some from −0 to +0; and
        // the same weights with noise in their 16 low-order bits, as AdamW leaves them.
        let count = 1 << 18
        var generator = SeededGenerator(seed: 11)
        var base = (0..<count).map { _ in 0.05 * generator.nextGaussian() }
        base[0] = -0.0
        base[1] = OrderedFloatBits.float(key: 1 << 16)  // a subnormal that the update takes across zero
        var onGrid = base, offGrid = base
        for index in 0..<count {
            let steps = Int32(generator.next() % 7) - 3
            onGrid[index] = OrderedFloatBits.float(key: OrderedFloatBits.key(base[index]) &+ steps << 16)
            offGrid[index] = OrderedFloatBits.float(key: OrderedFloatBits.key(onGrid[index]) &+ Int32(generator.next() % (1 << 16)))
        }
        onGrid[1] = OrderedFloatBits.float(key: -(1 << 16))
        offGrid[1] = OrderedFloatBits.float(key: -(1 << 16) + 1)
        let file = { (values: [Float]) in safetensors([.f32("grid", [count], values)], metadata: ["format": "pt"]) }
        let (baseFile, gridFile, offFile) = (file(base), file(onGrid), file(offGrid))
        let grid = try ObjectCodec.encodeDelta(base: baseFile, target: gridFile, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: baseFile, delta: grid), gridFile)
        let layout = try DeltaLayout(grid)
        let kinds = (0..<layout.segmentCount).map { grid[layout.segmentOffset($0)] }
        XCTAssertEqual(kinds, [1, 3], "the header, then the tensor as shifted planes")
        XCTAssertEqual(grid[layout.segmentOffset(1) + 1], 16, "the shift")
        let off = try ObjectCodec.encodeDelta(base: baseFile, target: offFile, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: baseFile, delta: off), offFile)
        XCTAssertEqual(off[try DeltaLayout(off).segmentOffset(1)], 2, "off the grid: plain planes")
        // log2(7) ≈ 2.8 bits a weight on the grid; off it, the low 16 bits are noise too.
        XCTAssertLessThan(Double(grid.count), 0.5 * Double(count), "\(grid.count) bytes")
        XCTAssertLessThan(Double(grid.count), 0.3 * Double(off.count), "\(grid.count) against \(off.count)")
    }

    func testEncodingIsDeterministicWhateverTheThreadCount() throws {
        let pair = try TrainedLookingPair(seed: 8, layerCount: 2)
        let one = try ObjectCodec.encodeDelta(base: pair.base, target: pair.target, settings: CompressionSettings(workers: 1))
        let four = try ObjectCodec.encodeDelta(base: pair.base, target: pair.target, settings: CompressionSettings(workers: 4))
        XCTAssertEqual(one, four)
    }

    func testIdenticalFilesGiveATinyDelta() throws {
        let file = try TrainedLookingPair(seed: 9, layerCount: 2).base
        let delta = try ObjectCodec.encodeDelta(base: file, target: file, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: file, delta: delta), file)
        // The header (compressed) and one reference covering all tensor data.
        XCTAssertLessThan(delta.count, 1024, "\(delta.count) bytes")
    }

    func testUnchangedTensorsCostUnderOneKilobyteEach() throws {
        // Changed and unchanged tensors alternate, so no two references merge: the worst case.
        func pair(unchangedCount: Int) throws -> (base: [UInt8], target: [UInt8]) {
            var generator = SeededGenerator(seed: 10)
            var base: [TestTensor] = []
            var target: [TestTensor] = []
            for index in 0..<8 {
                let values = (0..<4096).map { _ in 0.02 * generator.nextGaussian() }
                base.append(.f32("model.layers.\(index).mlp.down_proj.weight", [64, 64], values))
                target.append(.f32("model.layers.\(index).mlp.down_proj.weight", [64, 64], values.map { $0 * 1.001 }))
                for extra in 0..<(unchangedCount / 8) {
                    let unchanged = TestTensor.f32(
                        "model.layers.\(index).extra.\(extra).weight", [128, 128],
                        (0..<16384).map { _ in 0.02 * generator.nextGaussian() })
                    base.append(unchanged)
                    target.append(unchanged)
                }
            }
            return (safetensors(base), safetensors(target))
        }
        let few = try pair(unchangedCount: 16)
        let many = try pair(unchangedCount: 96)
        let fewDelta = try ObjectCodec.encodeDelta(base: few.base, target: few.target, settings: settings)
        let manyDelta = try ObjectCodec.encodeDelta(base: many.base, target: many.target, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: many.base, delta: manyDelta), many.target)
        let perTensor = Double(manyDelta.count - fewDelta.count) / 80
        XCTAssertLessThan(perTensor, 1024, "an unchanged 64 KiB tensor adds \(perTensor) bytes")
        // In fact: one table entry (56 bytes) and its compressed header entry.
        XCTAssertLessThan(perTensor, 128, "an unchanged 64 KiB tensor adds \(perTensor) bytes")
    }

    func testChangedHeaderMetadataRoundTripsAndKeepsReferences() throws {
        var generator = SeededGenerator(seed: 11)
        let tensors = (0..<4).map { index in
            TestTensor.f32("w\(index)", [256, 64], (0..<16384).map { _ in generator.nextGaussian() })
        }
        let base = safetensors(tensors, metadata: ["format": "pt"])
        for metadata: [String: String]? in [nil, ["format": "pt", "lethe.version": "7"], ["format": "np"]] {
            let target = safetensors(tensors, metadata: metadata)
            let delta = try ObjectCodec.encodeDelta(base: base, target: target, settings: settings)
            XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta), target)
            XCTAssertLessThan(delta.count, 1024, "the tensors should be references")
        }
        // Extra header padding (allowed: the data starts where the header length says).
        let padded = safetensors(tensors, metadata: ["format": "pt"], alignment: 64, extraPadding: 40)
        let delta = try ObjectCodec.encodeDelta(base: base, target: padded, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta), padded)
    }

    func testNewRemovedReorderedAndReshapedTensorsRoundTrip() throws {
        var generator = SeededGenerator(seed: 12)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in 0.05 * generator.nextGaussian() } }
        let a = values(4096), b = values(1000), c = values(333), d = values(4096)
        let base = safetensors([
            .f32("a", [64, 64], a), .f32("b", [1000], b), .f32("c", [333], c), .f32("reshaped", [64, 64], d),
            .f32("retyped", [100], values(100)),
        ])
        let target = safetensors([
            .f32("new", [7, 9], values(63)),  // new, first in the file
            .f32("c", [333], c.map { $0 + 1e-4 }),  // changed
            .f32("a", [64, 64], a),  // unchanged, moved
            .f32("reshaped", [4096], d),  // same bytes, other shape: stored raw
            .half("retyped", .f16, [100], values(100)),  // other dtype
            .f32("empty", [0, 5], []),  // no bytes at all
            // "b" removed
        ])
        let delta = try ObjectCodec.encodeDelta(base: base, target: target, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta), target)
        let empty = safetensors([])
        for (from, to) in [(base, empty), (empty, target), (empty, empty)] {
            let delta = try ObjectCodec.encodeDelta(base: from, target: to, settings: settings)
            XCTAssertEqual(try ObjectCodec.decodeDelta(base: from, delta: delta), to)
        }
    }

    func testHalfPrecisionAndIntegerTensorsRoundTrip() throws {
        var generator = SeededGenerator(seed: 13)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in 0.05 * generator.nextGaussian() } }
        let f16 = values(5000), bf16 = values(5000)
        let ids = (0..<999).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let base = safetensors([
            .half("f16", .f16, [50, 100], f16), .half("bf16", .bf16, [50, 100], bf16),
            .half("f16.same", .f16, [5000], f16), .half("bf16.same", .bf16, [5000], bf16),
            TestTensor(name: "ids", dtype: "U8", shape: [999], bytes: ids),
            TestTensor(name: "i32", dtype: "I32", shape: [250], bytes: Array(ids[0..<1000 - 1]) + [0]),
        ])
        let target = safetensors([
            .half("f16", .f16, [50, 100], f16.map { $0 * 1.01 }), .half("bf16", .bf16, [50, 100], bf16.map { $0 * 1.01 }),
            .half("f16.same", .f16, [5000], f16), .half("bf16.same", .bf16, [5000], bf16),
            TestTensor(name: "ids", dtype: "U8", shape: [999], bytes: ids.reversed()),
            TestTensor(name: "i32", dtype: "I32", shape: [250], bytes: Array(ids[0..<1000 - 1].reversed()) + [1]),
        ])
        let delta = try ObjectCodec.encodeDelta(base: base, target: target, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta), target)
        // The two unchanged half-precision tensors (10 KB each) are references: compared with
        // a delta without them, they add a table entry and a header entry each.
        func withoutSame(_ file: [UInt8]) throws -> [UInt8] {
            let parsed = try SafeTensorsFile(bytes: file)
            let dataStart = file.count - (parsed.tensors.last?.byteRange.upperBound ?? 0)
            return safetensors(parsed.tensors.filter { !$0.name.hasSuffix(".same") }.map { info in
                TestTensor(name: info.name, dtype: info.dtype.rawValue, shape: info.shape,
                           bytes: Array(file[(dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound)]))
            })
        }
        let smaller = try ObjectCodec.encodeDelta(base: try withoutSame(base), target: try withoutSame(target), settings: settings)
        XCTAssertLessThan(delta.count - smaller.count, 2 * 1024, "two unchanged tensors cost \(delta.count - smaller.count) bytes")
    }

    func testPartlyChangedLargeTensorStoresOnlyTheChangedSegments() throws {
        // 8 MiB embedding whose rows changed only in its first MiB, like a fine-tune that saw
        // few tokens.
        var generator = SeededGenerator(seed: 14)
        let rows = 8192, columns = 256
        let embedding = (0..<(rows * columns)).map { _ in 0.02 * generator.nextGaussian() }
        var changed = embedding
        for index in 0..<(rows * columns / 8) { changed[index] += 1e-4 * generator.nextGaussian() }
        let base = safetensors([.f32("model.embed_tokens.weight", [rows, columns], embedding)])
        let target = safetensors([.f32("model.embed_tokens.weight", [rows, columns], changed)])
        let delta = try ObjectCodec.encodeDelta(base: base, target: target, settings: settings)
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta), target)
        XCTAssertLessThan(delta.count, rows * columns * 4 / 8, "the unchanged 7 MiB must be references")
    }

    func testDeltaAgainstTheWrongBaseIsABaseMismatch() throws {
        let pair = try TrainedLookingPair(seed: 15, layerCount: 2)
        let delta = try ObjectCodec.encodeDelta(base: pair.base, target: pair.target, settings: settings)
        // Another version of the same model: same header, same size, other data.
        let sibling = try TrainedLookingPair(seed: 16, layerCount: 2).target
        XCTAssertEqual(sibling.count, pair.base.count)
        for wrong in [sibling, pair.target, Array(pair.base.dropLast(4)), []] {
            XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: wrong, delta: delta)) { error in
                guard case .baseMismatch = error as? ObjectCodecError else { return XCTFail("\(error)") }
            }
        }
    }

    func testEncodingRejectsFilesThatAreNotSafeTensors() throws {
        let valid = try randomFile(seed: 17, shapes: [[4]])
        XCTAssertThrowsError(try ObjectCodec.encodeDelta(base: [1, 2, 3], target: valid, settings: settings)) { error in
            guard case .invalidSafeTensors(role: "base", _) = error as? ObjectCodecError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ObjectCodec.encodeDelta(base: valid, target: valid.dropLast(), settings: settings)) { error in
            guard case .invalidSafeTensors(role: "target", _) = error as? ObjectCodecError else { return XCTFail("\(error)") }
        }
        // Both invalid: the base is named, whichever of the two threads parsed first.
        for _ in 0..<20 {
            XCTAssertThrowsError(try ObjectCodec.encodeDelta(base: [], target: [9], settings: settings)) { error in
                guard case .invalidSafeTensors(role: "base", _) = error as? ObjectCodecError else { return XCTFail("\(error)") }
            }
        }
    }

    func testExpectedByteCountIsCheckedBeforeDecoding() throws {
        let pair = try TrainedLookingPair(seed: 18, layerCount: 1)
        let delta = try ObjectCodec.encodeDelta(base: pair.base, target: pair.target, settings: settings)
        XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: pair.base, delta: delta, expectedByteCount: 5)) { error in
            XCTAssertEqual(error as? ObjectCodecError, .unexpectedSize(expectedByteCount: 5, actualByteCount: pair.target.count))
        }
    }

    // MARK: corrupt delta containers

    /// A small delta with every segment kind: header, references, planes, zstd.
    private func smallDelta() throws -> (base: [UInt8], target: [UInt8], delta: [UInt8]) {
        var generator = SeededGenerator(seed: 19)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in 0.05 * generator.nextGaussian() } }
        let same = values(64), changed = values(128), grid = values(128)
        // Moved by whole steps of 2^12 units in the last place: stored as shifted planes.
        let moved = grid.enumerated().map { index, value in OrderedFloatBits.float(key: OrderedFloatBits.key(value) &+ Int32(index % 5 - 2) << 12) }
        let base = safetensors([.f32("same", [64], same), .f32("changed", [128], changed), .f32("grid", [128], grid), .f32("gone", [8], values(8))])
        let target = safetensors([
            .f32("same", [64], same), .f32("changed", [128], changed.map { $0 * 1.0001 }), .f32("grid", [128], moved),
            .f32("new", [16], values(16)),
        ])
        return (base, target, try ObjectCodec.encodeDelta(base: base, target: target, settings: settings))
    }

    func testCuttingADeltaAnywhereIsATypedError() throws {
        let (base, target, delta) = try smallDelta()
        XCTAssertEqual(try ObjectCodec.decodeDelta(base: base, delta: delta), target)
        let layout = try DeltaLayout(delta)
        for length in 0..<delta.count {
            XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: base, delta: Array(delta[0..<length])), "cut at \(length)") { error in
                guard let error = error as? ObjectCodecError else { return XCTFail("cut at \(length): \(error)") }
                // At a section boundary the error names the section that is missing.
                if layout.sectionBoundaries.contains(length) {
                    guard case .truncated = error else { return XCTFail("cut at boundary \(length): \(error)") }
                }
            }
        }
        XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: base, delta: Array(delta[0..<144]))) { error in
            XCTAssertEqual(
                error as? ObjectCodecError,
                .truncated(section: "segment table", requiredByteCount: layout.segmentCount * 56, availableByteCount: 0))
        }
        XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: base, delta: Array(delta[0..<layout.payloadStart]))) { error in
            XCTAssertEqual(
                error as? ObjectCodecError,
                .truncated(section: "payloads", requiredByteCount: delta.count - layout.payloadStart, availableByteCount: 0))
        }
    }

    func testFlippingAnyByteOfADeltaIsATypedErrorOrHarmless() throws {
        let (base, target, delta) = try smallDelta()
        let layout = try DeltaLayout(delta)
        var detected = 0
        for index in 0..<delta.count {
            for pattern: UInt8 in [0xFF, 0x01, 0x10] {
                var corrupt = delta
                corrupt[index] ^= pattern
                do {
                    // A flip that decodes must decode to the target exactly (zstd ignores a few
                    // frame-header bits); wrong bytes would be a bug.
                    let decoded = try ObjectCodec.decodeDelta(base: base, delta: corrupt)
                    XCTAssertEqual(decoded, target, "flip \(pattern) at \(index)")
                } catch {
                    detected += 1
                    // Flips in the header and table are caught by name.
                    switch index {
                    case 0..<8: XCTAssertEqual(error, .notADeltaObject)
                    case 8..<12: guard case .unsupportedVersion = error else { return XCTFail("\(index): \(error)") }
                    case 12..<layout.payloadStart:
                        guard case .corrupt = error else { return XCTFail("\(index): \(error)") }
                    default: break
                    }
                }
            }
        }
        XCTAssertGreaterThan(detected, delta.count * 3 * 9 / 10)
        XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: base, delta: delta + [0])) { error in
            XCTAssertEqual(error as? ObjectCodecError, .corrupt(reason: "1 bytes follow the last payload"))
        }
        XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: base, delta: try ObjectCodec.encodeFull(target, settings: settings))) {
            XCTAssertEqual($0 as? ObjectCodecError, .notADeltaObject)
        }
    }

    func testForgedTablesWithAValidChecksumStayInBounds() throws {
        // An attacker can recompute the table checksum; the bounds checks must still hold.
        let (base, _, delta) = try smallDelta()
        let layout = try DeltaLayout(delta)
        // Header (zstd), "same" (reference), "changed" (planes), "grid" (shifted planes), "new" (zstd).
        XCTAssertEqual((0..<layout.segmentCount).map { delta[layout.segmentOffset($0)] }, [1, 0, 2, 3, 1])
        XCTAssertEqual(delta[layout.segmentOffset(3) + 1], 12, "the grid's shift")
        let forgeries: [(String, (inout [UInt8]) -> Void)] = [
            ("huge segment count", { $0.store(UInt64.max / 2, at: 64) }),
            ("huge target size", { $0.store(UInt64(Int.max), at: 16) }),
            ("reference past the base", { $0.store(UInt64(base.count), at: layout.segmentOffset(1) + 16) }),
            ("huge segment length", { $0.store(UInt64(Int.max - 3), at: layout.segmentOffset(0) + 8) }),
            ("payload longer than the object", { $0.store(UInt64(Int.max), at: layout.segmentOffset(0) + 24) }),
            ("payloads whose sum overflows", {
                $0.store(UInt64(Int.max / 2 + 1), at: layout.segmentOffset(2) + 24)
                $0.store(UInt64(Int.max / 2 + 1), at: layout.segmentOffset(2) + 32)
            }),
            ("unknown kind", { $0[layout.segmentOffset(0)] = 9 }),
            ("reserved byte", { $0[layout.segmentOffset(0) + 3] = 1 }),
            ("shift on plain planes", { $0[layout.segmentOffset(2) + 1] = 4 }),
            ("shifted planes without a shift", { $0[layout.segmentOffset(2)] = 3 }),
            ("shift of a whole word", { $0[layout.segmentOffset(3) + 1] = 32 }),
            ("shifted planes losing their shift", { $0[layout.segmentOffset(3) + 1] = 0 }),
            ("flags", { $0[12] = 1 }),
        ]
        for (name, forge) in forgeries {
            var forged = delta
            forge(&forged)
            try forged.resealDeltaChecksums(segmentCount: layout.segmentCount)
            XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: base, delta: forged), name) { error in
                XCTAssertTrue(error is ObjectCodecError, "\(name): \(error)")
            }
        }
        var future = delta
        future.store(UInt32(2), at: 8)
        XCTAssertThrowsError(try ObjectCodec.decodeDelta(base: base, delta: future)) { error in
            XCTAssertEqual(error as? ObjectCodecError, .unsupportedVersion(found: 2, supported: 1))
        }
    }
}

// MARK: - test files

/// A tensor for `safetensors(_:)`, of any dtype.
private struct TestTensor {
    var name: String
    var dtype: String
    var shape: [Int]
    var bytes: [UInt8]

    static func f32(_ name: String, _ shape: [Int], _ values: [Float]) -> TestTensor {
        TestTensor(name: name, dtype: "F32", shape: shape, bytes: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    }

    enum HalfType { case f16, bf16 }

    static func half(_ name: String, _ type: HalfType, _ shape: [Int], _ values: [Float]) -> TestTensor {
        let words: [UInt16] = values.map { value in
            switch type {
            case .f16: Float16(value).bitPattern
            case .bf16: UInt16(truncatingIfNeeded: value.bitPattern >> 16)
            }
        }
        return TestTensor(
            name: name, dtype: type == .f16 ? "F16" : "BF16", shape: shape,
            bytes: words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
    }
}

/// A safetensors file of `tensors` in the given order, any dtype; the header is padded with
/// spaces to `alignment` plus `extraPadding`.
private func safetensors(
    _ tensors: [TestTensor], metadata: [String: String]? = nil, alignment: Int = 8, extraPadding: Int = 0
) -> [UInt8] {
    var entries: [String] = []
    if let metadata {
        let fields = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
        entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
    }
    var offset = 0
    for tensor in tensors {
        let shape = tensor.shape.map(String.init).joined(separator: ",")
        entries.append("\"\(tensor.name)\":{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}")
        offset += tensor.bytes.count
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    let padded = (8 + header.count + alignment - 1) / alignment * alignment - 8 + extraPadding
    header += Array(repeating: UInt8(ascii: " "), count: padded - header.count)
    var file = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init)
    file += header
    for tensor in tensors { file += tensor.bytes }
    return file
}

/// Gaussian floats in tensors of `shapes`, named like model weights.
private func randomFile(seed: UInt64, shapes: [[Int]]) throws -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    let tensors = shapes.enumerated().map { index, shape in
        TestTensor.f32("tensor.\(index)", shape, (0..<shape.reduce(1, *)).map { _ in generator.nextGaussian() })
    }
    let file = safetensors(tensors, metadata: ["format": "pt"])
    _ = try SafeTensorsFile(bytes: file)
    return file
}

/// A parent and child version that look like a Llama fine-tune without training one: weights
/// N(0, 0.02²) (norms near 1), and a child where every weight moved by a Laplace-distributed
/// step of about 0.5 % of its magnitude's scale, as a few hundred AdamW steps at lr 1e-4 do.
private struct TrainedLookingPair {
    let base: [UInt8]
    let target: [UInt8]

    init(seed: UInt64, layerCount: Int, hidden: Int = 128, intermediate: Int = 344, vocabulary: Int = 1024) throws {
        var generator = SeededGenerator(seed: seed)
        let config = LlamaConfig(
            vocabSize: vocabulary, hiddenSize: hidden, intermediateSize: intermediate, layerCount: layerCount,
            headCount: 4, keyValueHeadCount: 2)
        let model = LlamaModel(config: config)
        model.initializeRandomly(seed: seed)
        for tensor in model.layout.normTensors {
            for index in 0..<tensor.count { model.parameters[tensor.offset + index] = 1 + 0.1 * generator.nextGaussian() }
        }
        base = try SafeTensorsWriter.serialize(model.safeTensors, metadata: ["format": "pt"])
        for index in 0..<model.layout.count {
            let uniform = Float(generator.next() >> 40) / Float(1 << 24) - 0.5
            let laplace = (uniform < 0 ? 1 : -1) * Foundation.log(1 - 2 * abs(uniform) + 1e-12)
            model.parameters[index] += 1e-4 * laplace
        }
        target = try SafeTensorsWriter.serialize(model.safeTensors, metadata: ["format": "pt"])
    }
}

/// The header, table and payload offsets of a delta container, for the corruption tests.
private struct DeltaLayout {
    let segmentCount: Int
    let payloadStart: Int
    /// Every offset where a section or a field of the fixed header ends, each table entry
    /// and each payload frame ends.
    let sectionBoundaries: Set<Int>

    init(_ delta: [UInt8]) throws {
        segmentCount = Int(delta.load(UInt64.self, at: 64))
        payloadStart = 144 + segmentCount * 56
        var boundaries: Set<Int> = [0, 8, 12, 16, 24, 32, 64, 72, 80, 112, 144]
        var payload = payloadStart
        for segment in 0..<segmentCount {
            let entry = 144 + segment * 56
            boundaries.insert(entry + 56)
            for plane in 0..<4 {
                payload += Int(delta.load(UInt64.self, at: entry + 24 + 8 * plane))
                boundaries.insert(payload)
            }
        }
        boundaries.remove(delta.count)
        sectionBoundaries = boundaries
        XCTAssertEqual(payload, delta.count)
    }

    func segmentOffset(_ index: Int) -> Int { 144 + index * 56 }
}

extension Array where Element == UInt8 {
    fileprivate func load<Integer: FixedWidthInteger>(_: Integer.Type, at offset: Int) -> Integer {
        withUnsafeBytes { Integer(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Integer.self)) }
    }

    fileprivate mutating func store<Integer: FixedWidthInteger>(_ value: Integer, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: Integer.self) }
    }

    /// Recomputes the table's and the header's SHA-256, as a forger would.
    fileprivate mutating func resealDeltaChecksums(segmentCount: Int) throws {
        let tableEnd = Swift.min(count, 144 + segmentCount * 56)
        replaceSubrange(80..<112, with: try sha256(Array(self[144..<tableEnd])))
        replaceSubrange(112..<144, with: try sha256(Array(self[0..<112])))
    }
}

// MARK: - real training for the measurement


// MARK: - helpers


/// SHA-256 by the system's `sha256sum` (the test target does not depend on Crypto).
private func sha256(_ bytes: [UInt8]) throws -> [UInt8] {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("bytes")
    try Data(bytes).write(to: input)
    let output = input.appendingPathExtension("sha256")
    guard let sha256sum = executable(named: "sha256sum"), try runProcess(sha256sum, [input.path], output: output) == 0 else {
        throw XCTSkip("sha256sum is not available")
    }
    let hex = Array(try String(contentsOf: output, encoding: .utf8).prefix(64))
    return stride(from: 0, to: 64, by: 2).map { UInt8(String(hex[$0..<$0 + 2]), radix: 16) ?? 0 }
}

private func executable(named name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

@discardableResult
private func runProcess(_ executable: URL, _ arguments: [String], input: URL? = nil, output: URL? = nil) throws -> Int32 {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let input { process.standardInput = try FileHandle(forReadingFrom: input) }
    if let output {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
    }
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}


/// A new directory under the temporary directory; callers remove it.
private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-object-codec-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
