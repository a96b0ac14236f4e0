#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file system call that failed, with the path and the system's reason.
public struct FileSystemError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let reason: String
    /// The `errno` of the failed call: whether the fault is transient (a full disk) or not.
    public let code: Int32

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
        reason = String(cString: strerror(code))
    }

    public var description: String { "cannot \(operation) \(path): \(reason)" }
}

/// Crash-safe file creation and replacement: the bytes go to a temporary file in the same
/// directory, which is flushed to disk and renamed over the destination, and then the
/// directory is flushed, so a crash leaves either no file (or the old one) or the whole
/// new one, never a part. Checkpoint objects and exported weights are written this way.
public enum DurableFile {
    /// Steps of `write`, for tests that inject a crash between any two of them.
    public enum Step: String, CaseIterable, Sendable {
        case temporaryWritten, temporaryFlushed, renamed, directoryFlushed
    }

    /// Writes whatever `produce` passes to its sink into `url`. `afterStep` runs after each
    /// step; a test hook throws from it to simulate a crash there.
    public static func write(
        to url: URL, permissions: mode_t = 0o644,
        afterStep: (Step) throws -> Void = { _ in },
        _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.tmp-\(url.lastPathComponent)-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw FileSystemError(path: directory, operation: "create a temporary file in") }
        let temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var isOpen = true, isRenamed = false
        defer {
            if isOpen { close(descriptor) }
            if !isRenamed { unlink(temporaryPath) }
        }
        try produce { bytes in try writeAll(bytes, to: descriptor, path: temporaryPath) }
        try afterStep(.temporaryWritten)
        // mkstemp creates the file readable by its owner only.
        guard fchmod(descriptor, permissions) == 0 else { throw FileSystemError(path: temporaryPath, operation: "set permissions of") }
        guard fsync(descriptor) == 0 else { throw FileSystemError(path: temporaryPath, operation: "flush") }
        isOpen = false
        guard close(descriptor) == 0 else { throw FileSystemError(path: temporaryPath, operation: "close") }
        try afterStep(.temporaryFlushed)
        guard rename(temporaryPath, url.path) == 0 else { throw FileSystemError(path: url.path, operation: "rename into") }
        isRenamed = true
        try afterStep(.renamed)
        try flushDirectory(directory)
        try afterStep(.directoryFlushed)
    }

    /// Writes `bytes` into `url` durably.
    public static func write(_ bytes: [UInt8], to url: URL, permissions: mode_t = 0o644,
                             afterStep: (Step) throws -> Void = { _ in }) throws {
        try write(to: url, permissions: permissions, afterStep: afterStep) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// Makes a rename or unlink in `directory` durable: without it a crash could leave the
    /// directory entry as it was.
    public static func flushDirectory(_ directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(path: directory, operation: "open") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileSystemError(path: directory, operation: "flush") }
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        guard let start = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            // Some systems reject single writes above 2 GiB, so large buffers go in chunks.
            let written = systemWrite(descriptor, start + offset, min(bytes.count - offset, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, operation: "write")
            }
            offset += written
        }
    }
}

/// `write(2)`, whose name `DurableFile.write` shadows inside the enum.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #elseif canImport(Darwin)
    Darwin.write(descriptor, bytes, count)
    #endif
}
