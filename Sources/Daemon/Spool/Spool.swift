import Foundation
import Model
import Store

/// The request spool, Maildir's protocol (DESIGN.md, "Daemon and spool"): writers create a
/// file in `tmp/` and rename it into `incoming/` when it is complete; the daemon claims it by
/// renaming it into `active/`, and when it is answered renames it into `done/` or `failed/`
/// beside its report. A request is in exactly one folder at any moment, and every move is a
/// rename within one file system.
public struct Spool: Sendable {
    public enum Folder: String, CaseIterable, Sendable {
        case tmp, incoming, active, done, failed
    }

    /// A claimed file as it was when it was claimed, so a later change is noticed.
    public struct Claim: Sendable, Equatable {
        public let name: String
        public let size: Int
        public let isRegularFile: Bool
        public let isSymbolicLink: Bool

        init(name: String, status info: stat) {
            let type = info.st_mode & S_IFMT
            (self.name, size, isRegularFile, isSymbolicLink) = (name, Int(info.st_size), type == S_IFREG, type == S_IFLNK)
        }
    }

    public let root: URL

    public init(root: URL) { self.root = root }

    public func url(_ folder: Folder) -> URL { root.appendingPathComponent(folder.rawValue, isDirectory: true) }

    func url(_ folder: Folder, _ name: String) -> URL { url(folder).appendingPathComponent(name) }

    /// Creates the five folders that are missing. `tmp/` and `incoming/` are group-writable so
    /// that submitters in the spool's group can hand requests in; the others are the daemon's.
    public func create() throws {
        for folder in Folder.allCases {
            let path = url(folder).path
            if FileManager.default.fileExists(atPath: path) { continue }
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: folder == .tmp || folder == .incoming ? 0o2770 : 0o750])
        }
    }

    /// Names waiting in `incoming/`, oldest first (then by name). Hidden names are never
    /// claimed: editors and copy tools use them for files in progress.
    public func waiting() throws -> [String] {
        let folder = url(.incoming)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
        let dated = names.map { name -> (String, Double) in
            var info = stat()
            let time = lstat(folder.appendingPathComponent(name).path, &info) == 0
                ? Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 : 0
            return (name, time)
        }
        return dated.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
    }

    /// Longest name a claim keeps: `NAME.NN.error.json` must still fit the file system's 255 bytes.
    static let maxNameBytes = 200

    /// Moves `incoming/NAME` into `active/`: the claim. Nil when the name is gone (another
    /// claimer took it, or the writer removed it). Whatever the name is (a symlink, a FIFO, a
    /// directory) is moved as it is, never followed, so that it can be answered in `failed/`.
    /// The claim's name is NAME unless a file in `active/` has it or `isTaken` says an earlier
    /// request had it (then `NAME.2`, `NAME.3`, …), or NAME is too long for its answer files
    /// (then `long-` and a hash of it): one name, one request.
    public func claim(_ name: String, isTaken: (String) throws -> Bool = { _ in false }) throws -> Claim? {
        var info = stat()
        guard lstat(url(.incoming, name).path, &info) == 0 else { return nil }
        let base = name.utf8.count > Self.maxNameBytes ? "long-" + sha256Hex(Array(name.utf8)).prefix(16) : name
        var target = base, number = 1
        while try exists(url(.active, target)) || isTaken(target) {
            number += 1
            target = "\(base).\(number)"
        }
        guard rename(url(.incoming, name).path, url(.active, target).path) == 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError(path: url(.incoming, name).path, operation: "claim (rename into active/)")
        }
        return Claim(name: target, status: info)
    }

    /// A file already in `folder`, as it is now (never followed): a claim found in `active/`
    /// after a restart, or a queued request a job reads again.
    public func inspect(_ folder: Folder, _ name: String) throws -> Claim {
        var info = stat()
        let path = url(folder, name).path
        guard lstat(path, &info) == 0 else { throw FileSystemError(path: path, operation: "inspect") }
        return Claim(name: name, status: info)
    }

    /// The names in `active/`: claimed and not yet answered (after a crash, what to redo).
    public func active() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(.active).path).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Reads a claimed file as untrusted input: a regular file only (never through a symlink),
    /// at most `limit` bytes, and the same size as when it was handed in.
    public func read(_ claim: Claim, limit: Int) throws(RequestError) -> [UInt8] {
        let fail = { (reason: String) in RequestError(file: claim.name, reason: reason) }
        if claim.isSymbolicLink { throw fail("is a symbolic link; requests must be regular files") }
        guard claim.isRegularFile else { throw fail("is not a regular file (a directory, FIFO, socket or device); requests must be regular files") }
        let descriptor = open(url(.active, claim.name).path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
        guard info.st_size <= limit else { throw fail("is \(info.st_size) bytes, more than the limit of \(limit)") }
        // One byte more than the size at the claim: enough to notice that the file grew.
        var bytes = [UInt8](repeating: 0, count: min(limit, claim.size) + 1)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if read < 0 && errno == EINTR { continue }
            guard read >= 0 else { throw fail("cannot be read: \(String(cString: strerror(errno)))") }
            if read == 0 { break }
            count += read
        }
        guard count <= limit else { throw fail("is more than the limit of \(limit) bytes") }
        guard count == claim.size, fstat(descriptor, &info) == 0, Int(info.st_size) == claim.size else {
            throw fail("changed after it was handed in (\(claim.size) bytes when claimed, \(count) when read): write requests in tmp/ and rename them into incoming/ only when complete")
        }
        return Array(bytes.prefix(count))
    }

    /// Answers a claimed request: its report is written durably as `FOLDER/NAME.result.json`
    /// or `.error.json`, then the request is renamed beside it. A name already answered once
    /// gets a numbered one (`NAME.2`), so no answer is overwritten. Returns the name used.
    /// A crash between the two steps leaves the request in `active/` and a report with no
    /// request beside it; answering again rewrites that report in place.
    @discardableResult
    public func answer(_ claimName: String, into folder: Folder, report: [UInt8]) throws -> String {
        precondition(folder == .done || folder == .failed, "requests are answered into done/ or failed/")
        var name = claimName, number = 1
        while exists(url(folder, name)) {
            number += 1
            name = "\(claimName).\(number)"
        }
        try writePrivately(report, to: reportURL(name, in: folder))
        // A request file someone removed from active/ by hand still gets its report.
        guard rename(url(.active, claimName).path, url(folder, name).path) == 0 || errno == ENOENT else {
            throw FileSystemError(path: url(.active, claimName).path, operation: "move into \(folder.rawValue)/")
        }
        try DurableFile.flushDirectory(url(folder).path)
        try DurableFile.flushDirectory(url(.active).path)
        return name
    }

    /// The report beside an answer: `NAME.result.json` in `done/`, `NAME.error.json` in `failed/`.
    public func reportURL(_ name: String, in folder: Folder) -> URL {
        url(folder, name + (folder == .done ? ".result.json" : ".error.json"))
    }

    /// Where `name` was answered: `done/`, `failed/`, or nil while it is not.
    public func answerFolder(of name: String) -> Folder? {
        [Folder.done, .failed].first { exists(url($0, name)) }
    }

    /// Whether the name exists, whatever it is (a dangling symlink included; never followed).
    private func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    /// `lethe submit`: writes the request into `tmp/` under a unique name, flushes it, and
    /// renames it into `incoming/`. Returns the name.
    public func submit(_ bytes: [UInt8], extension fileExtension: String = "json") throws -> String {
        let name = "\(Int(Date().timeIntervalSince1970 * 1000)).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).\(fileExtension)"
        try writePrivately(bytes, to: url(.tmp, name))
        guard rename(url(.tmp, name).path, url(.incoming, name).path) == 0 else {
            throw FileSystemError(path: url(.tmp, name).path, operation: "hand in (rename into incoming/)")
        }
        try DurableFile.flushDirectory(url(.incoming).path)
        return name
    }

    /// Requests hold what people asked to have forgotten: readable by the daemon's group only.
    private func writePrivately(_ bytes: [UInt8], to file: URL) throws {
        try DurableFile.write(to: file, permissions: 0o640) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }
}
