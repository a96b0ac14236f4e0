import Foundation
import Model
import Store
#if canImport(Glibc)
import Glibc
#endif

/// The spool as the daemon holds it, as Postfix holds its maildrop: the root and its five
/// folders opened once, checked to be real directories the daemon owns with modes no looser
/// than `Spool.Folder.mode`, and checked again before every move. Every claim, read, answer and
/// status write goes through the held descriptors, so a folder renamed away or replaced by a
/// symlink is noticed, never written through.
public final class SpoolFolders: @unchecked Sendable {
    /// A claimed file as it was when it was claimed, so a later change is noticed.
    public struct Claim: Sendable, Equatable {
        public let name: String
        public let size: Int
        public let isRegularFile: Bool
        public let isSymbolicLink: Bool
        /// The uid that owns the file: who handed it in.
        public let owner: uid_t
        public let links: Int
        let device: UInt64
        let inode: UInt64

        init(name: String, status info: stat) {
            let type = info.st_mode & S_IFMT
            (self.name, size, isRegularFile, isSymbolicLink) = (name, Int(info.st_size), type == S_IFREG, type == S_IFLNK)
            (owner, links, device, inode) = (info.st_uid, Int(info.st_nlink), UInt64(info.st_dev), UInt64(info.st_ino))
        }
    }

    public let spool: Spool
    private let root: DirectoryHandle
    private let folders: [Spool.Folder: DirectoryHandle]
    /// Folders the daemon owned with a looser mode than it serves (a spool made by an earlier
    /// version), tightened when it opened them; for the log.
    public private(set) var tightened: [String] = []

    /// Opens the spool, creating the root and the folders that are missing with their modes.
    /// Throws `SpoolIntegrityError` when a folder is not a directory the daemon owns.
    public init(_ spool: Spool) throws {
        self.spool = spool
        let rootPath = spool.root.path
        if mkdir(rootPath, Spool.rootMode) == 0 { _ = chmod(rootPath, Spool.rootMode) } else if errno != EEXIST {
            throw FileSystemError(path: rootPath, operation: "create the spool")
        }
        do {
            root = try DirectoryHandle(at: AT_FDCWD, rootPath, path: rootPath)
        } catch let error as FileSystemError where error.code == ELOOP || error.code == ENOTDIR {
            throw SpoolIntegrityError(path: rootPath, fault: "is not a directory (a symlink or a file in its place)")
        }
        var opened: [Spool.Folder: DirectoryHandle] = [:]
        for folder in Spool.Folder.allCases {
            if mkdirat(root.descriptor, folder.rawValue, folder.mode) == 0 {
                // mkdir applies the umask; the mode must be exactly the served one.
                guard fchmodat(root.descriptor, folder.rawValue, folder.mode, 0) == 0 else {
                    throw FileSystemError(path: spool.url(folder).path, operation: "set the mode of")
                }
            } else if errno != EEXIST {
                throw FileSystemError(path: spool.url(folder).path, operation: "create")
            }
            do {
                opened[folder] = try DirectoryHandle(at: root.descriptor, folder.rawValue, path: spool.url(folder).path)
            } catch let error as FileSystemError where error.code == ELOOP || error.code == ENOTDIR {
                throw SpoolIntegrityError(path: spool.url(folder).path, fault: "is not a directory (a symlink or a file in its place)")
            }
        }
        folders = opened
        try tighten(root, mode: Spool.rootMode)
        for folder in Spool.Folder.allCases { try tighten(opened[folder]!, mode: folder.mode) }
        try verify()
    }

    /// Removes permission bits beyond `mode` from a folder the daemon owns.
    private func tighten(_ directory: DirectoryHandle, mode: mode_t) throws {
        let info = try directory.status()
        let unstickyGroupWrite = info.st_mode & 0o020 != 0 && info.st_mode & S_ISVTX == 0
        guard info.st_uid == geteuid(), info.st_mode & 0o777 & ~mode != 0 || unstickyGroupWrite else { return }
        let tight = (info.st_mode & 0o777 & mode) | (mode & 0o7000)
        guard fchmod(directory.descriptor, tight) == 0 else { throw FileSystemError(path: directory.path, operation: "tighten the mode of") }
        tightened.append(String(format: "%@: %o → %o", directory.path, info.st_mode & 0o7777, tight))
    }

    /// Checks that the root and every folder are still the directories the daemon opened, owned
    /// by it, with modes no looser than the served ones, and still reached by their names.
    public func verify() throws {
        try check(root, mode: Spool.rootMode, named: try? Self.status(atPath: spool.root.path))
        for folder in Spool.Folder.allCases {
            try check(folders[folder]!, mode: folder.mode, named: try root.status(of: folder.rawValue))
        }
    }

    private static func status(atPath path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw FileSystemError(path: path, operation: "inspect") }
        return info
    }

    private func check(_ directory: DirectoryHandle, mode: mode_t, named: stat?) throws {
        let info = try directory.status()
        let fail = { (fault: String) in SpoolIntegrityError(path: directory.path, fault: fault) }
        guard let named, named.st_dev == info.st_dev, named.st_ino == info.st_ino else {
            throw fail("was renamed or replaced while the daemon held it")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw fail("is not a directory") }
        guard info.st_uid == geteuid() else { throw fail("is owned by uid \(info.st_uid), not by the daemon's uid \(geteuid())") }
        let extra = info.st_mode & 0o777 & ~mode
        guard extra == 0 else {
            throw fail(String(format: "has mode %o, looser than %o (a submitter could rename or replace what is in it)", info.st_mode & 0o7777, mode))
        }
        if info.st_mode & 0o020 != 0 && info.st_mode & S_ISVTX == 0 {
            throw fail(String(format: "has mode %o: group-writable without the sticky bit", info.st_mode & 0o7777))
        }
    }

    private func folder(_ folder: Spool.Folder) -> DirectoryHandle { folders[folder]! }

    /// Names waiting in `incoming/`, oldest first (then by name). Hidden names are never
    /// claimed: editors and copy tools use them for files in progress.
    public func waiting() throws -> [String] {
        let incoming = folder(.incoming)
        let dated = try incoming.names().filter { !$0.hasPrefix(".") }.map { name -> (String, Double) in
            let info = try? incoming.status(of: name)
            return (name, info.map { Double($0.st_mtim.tv_sec) + Double($0.st_mtim.tv_nsec) / 1e9 } ?? 0)
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
        try verify()
        guard let info = try folder(.incoming).status(of: name) else { return nil }
        let base = name.utf8.count > Self.maxNameBytes ? "long-" + sha256Hex(Array(name.utf8)).prefix(16) : name
        var target = base, number = 1
        while try folder(.active).status(of: target) != nil || isTaken(target) {
            number += 1
            target = "\(base).\(number)"
        }
        guard try folder(.incoming).move(name, to: folder(.active), as: target) else { return nil }
        return Claim(name: target, status: info)
    }

    /// A file already in `folder`, as it is now (never followed): a claim found in `active/`
    /// after a restart, or a queued request a job reads again.
    public func inspect(_ folder: Spool.Folder, _ name: String) throws -> Claim {
        guard let info = try self.folder(folder).status(of: name) else {
            throw FileSystemError(path: spool.url(folder).appendingPathComponent(name).path, operation: "inspect", code: ENOENT)
        }
        return Claim(name: name, status: info)
    }

    /// The names in `active/`: claimed and not yet answered (after a crash, what to redo).
    public func active() throws -> [String] {
        try folder(.active).names().filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Reads a claimed file as untrusted input: a regular file of its own (one link: a hard link
    /// could hand in a file of someone else's that the submitter cannot read), never through a
    /// symlink, at most `limit` bytes, and the same file and size as when it was handed in.
    /// A file refused here is not read at all.
    public func read(_ claim: Claim, limit: Int) throws(RequestError) -> [UInt8] {
        let fail = { (reason: String) in RequestError(file: claim.name, reason: reason) }
        if claim.isSymbolicLink { throw fail("is a symbolic link; requests must be regular files") }
        guard claim.isRegularFile else { throw fail("is not a regular file (a directory, FIFO, socket or device); requests must be regular files") }
        let linkRule = "requests must be files of their own, not hard links to another file, so it was not read"
        guard claim.links == 1 else { throw fail("has \(claim.links) hard links; \(linkRule)") }
        let descriptor: Int32
        do { descriptor = try folder(.active).openForReading(claim.name) } catch { throw fail("cannot be opened: \((error as? FileSystemError)?.reason ?? "\(error)")") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
              UInt64(info.st_dev) == claim.device, UInt64(info.st_ino) == claim.inode else {
            throw fail("was replaced after it was handed in; write requests in tmp/ and rename them into incoming/ only when complete")
        }
        guard info.st_nlink == 1 else { throw fail("has \(info.st_nlink) hard links; \(linkRule)") }
        guard info.st_size <= limit else { throw fail("is \(info.st_size) bytes, more than the limit of \(limit)") }
        // One byte more than the size at the claim: enough to notice that the file grew.
        var bytes = [UInt8](repeating: 0, count: min(limit, claim.size) + 1)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
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

    /// Replaces a recorded request's file in `active/` with the daemon's own copy of the bytes
    /// it read, so that the submitter, who still owns the handed-in file, cannot change what a
    /// job later reads or what `done/` keeps.
    public func adopt(_ name: String, bytes: [UInt8]) throws {
        try verify()
        try folder(.active).replace(name, with: bytes, permissions: 0o640)
    }

    /// Whether `name` in `active/` is the daemon's own file (adopted, or written by it).
    public func isAdopted(_ name: String) throws -> Bool {
        try folder(.active).status(of: name).map { $0.st_uid == geteuid() && $0.st_nlink == 1 } ?? true
    }

    /// Answers a claimed request: its report is written durably as `FOLDER/NAME.result.json`
    /// or `.error.json`, then the request is renamed beside it. A name already answered once
    /// gets a numbered one (`NAME.2`), so no answer is overwritten. Returns the name used.
    /// A crash between the two steps leaves the request in `active/` and a report with no
    /// request beside it; answering again rewrites that report in place.
    @discardableResult
    public func answer(_ claimName: String, into answerFolder: Spool.Folder, report: [UInt8]) throws -> String {
        precondition(answerFolder == .done || answerFolder == .failed, "requests are answered into done/ or failed/")
        try verify()
        let target = folder(answerFolder)
        var name = claimName, number = 1
        while try target.status(of: name) != nil {
            number += 1
            name = "\(claimName).\(number)"
        }
        try target.replace(spool.reportURL(name, in: answerFolder).lastPathComponent, with: report, permissions: 0o640)
        // A request file someone removed from active/ by hand still gets its report.
        _ = try folder(.active).move(claimName, to: target, as: name)
        try target.flush()
        try folder(.active).flush()
        return name
    }

    /// Replaces `status.json` in the spool's root (readable by the group, written by the daemon
    /// alone); not flushed: it is the daemon's word of the moment, rewritten every half second.
    public func writeStatus(_ bytes: [UInt8]) throws {
        try verify()
        try root.replace(DaemonStatus.fileName, with: bytes, permissions: 0o640, durable: false)
    }
}

/// A spool folder that is not what the daemon made it: the daemon stops serving rather than
/// read or write through it.
public struct SpoolIntegrityError: Error, CustomStringConvertible {
    public let path: String
    public let fault: String

    public var description: String {
        "the spool folder \(SafeText.escaped(path, limit: 512)) \(fault); the daemon does not serve a spool that submitters could redirect (see systemd/README.md for the owners and modes it expects)"
    }
}
