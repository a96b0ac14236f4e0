#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Owns the bytes a `SafeTensorsFile` reads: a read-only memory mapping of a file, so tensors
/// are read straight from the page cache without loading the file, or a private copy of
/// in-memory bytes. Deinitialising it unmaps or frees them, including when parsing fails.
final class SafeTensorsByteStorage: @unchecked Sendable {  // immutable after init
    let bytes: UnsafeRawBufferPointer
    private let isMapped: Bool

    init(copying source: [UInt8]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        source.withUnsafeBytes { copy.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(copy)
        isMapped = false
    }

    /// Maps the file at `path`. The writer replaces files by renaming, never by truncating
    /// them in place, so a mapping cannot lose its pages to our own writes.
    init(mappingFileAt path: String) throws(SafeTensorsError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .systemCallFailed(path: path, operation: "open") }
        // The mapping stays valid after the descriptor is closed.
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .systemCallFailed(path: path, operation: "inspect")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw .fileSystemFailure(path: path, operation: "map", reason: "it is not a regular file")
        }
        let byteCount = Int(status.st_size)
        // mmap rejects empty lengths; an empty buffer lets the header check report the short file.
        guard byteCount > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        let address = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, descriptor, 0)
        // MAP_FAILED is a C macro Swift does not import: it is the all-ones address.
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .systemCallFailed(path: path, operation: "map")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: byteCount)
        isMapped = true
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            bytes.deallocate()
        }
    }
}
