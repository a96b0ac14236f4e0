/// Builds an object laid out as `prefix, payload 0, payload 1, …` whose payloads are
/// compressed in parallel: each item compresses straight into its own region of the output
/// (sized for the worst case), then the payloads are moved down in order to close the gaps.
/// That saves a copy of every frame and an allocation per frame.
enum CompressedOutput {
    static func build<Worker>(
        prefixByteCount: Int, regionByteCounts: [Int], order: [Int], threads: Int,
        makeWorker: () throws(ObjectCodecError) -> Worker,
        compress: (inout Worker, _ item: Int, _ region: UnsafeMutableRawBufferPointer) throws(ObjectCodecError) -> [Int],
        writePrefix: (_ frameSizes: [[Int]], _ prefix: UnsafeMutableRawBufferPointer) -> Void
    ) throws(ObjectCodecError) -> [UInt8] {
        var regionStarts: [Int] = []
        regionStarts.reserveCapacity(regionByteCounts.count)
        var capacity = prefixByteCount
        for count in regionByteCounts {
            regionStarts.append(capacity)
            capacity += count
        }
        let frameSizes = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: regionByteCounts.count)
        frameSizes.initialize(repeating: [])
        defer { frameSizes.deinitialize().deallocate() }

        return try uninitializedBytes(capacity: capacity) { output throws(ObjectCodecError) -> Int in
            try ParallelWork.run(itemCount: order.count, threads: threads, makeWorker: makeWorker) { worker, index throws(ObjectCodecError) in
                let item = order[index]
                let region = UnsafeMutableRawBufferPointer(
                    rebasing: output[regionStarts[item]..<(regionStarts[item] + regionByteCounts[item])])
                frameSizes[item] = try compress(&worker, item, region)
            }
            writePrefix(Array(frameSizes), UnsafeMutableRawBufferPointer(rebasing: output[0..<prefixByteCount]))
            var end = prefixByteCount
            for item in regionByteCounts.indices {
                let size = frameSizes[item].reduce(0, +)
                // `end` never passes the region's start, so the move only ever goes down.
                if size > 0 && end != regionStarts[item] {
                    (output.baseAddress! + end).copyMemory(from: output.baseAddress! + regionStarts[item], byteCount: size)
                }
                end += size
            }
            return end
        }
    }
}
