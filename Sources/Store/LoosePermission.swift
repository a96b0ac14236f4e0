#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A store file or folder whose mode lets more people in than `StoreFileModes` allows:
/// a file its group may write or others may use, a folder its group may write or others
/// may enter or list. `verify` reports these as warnings, not problems: the store still
/// works, but whoever can read it reads every forget-set item and submitter.
public struct LoosePermission: Codable, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// The permission bits in octal, as `ls` and `chmod` write them: "0644".
    public let mode: String
    /// Who gets too much, in words: "readable by others".
    public let problem: String

    public var description: String { "\(path) has mode \(mode), \(problem)" }

    /// The bits a store file or folder must not have: the group's write, everything of others.
    private static let forbiddenBits: mode_t = 0o027

    /// The warning for the entry at `path` with `lstat`'s mode, or nil when it is private enough.
    init?(path: String, mode: mode_t) {
        let isDirectory = mode & S_IFMT == S_IFDIR
        let loose = mode & Self.forbiddenBits
        guard loose != 0 else { return nil }
        var who: [String] = []
        if loose & 0o020 != 0 { who.append("writable by its group") }
        if isDirectory {
            if loose & 0o007 != 0 { who.append("open to others") }
        } else {
            if loose & 0o004 != 0 { who.append("readable by others") }
            if loose & 0o002 != 0 { who.append("writable by others") }
            if loose & 0o001 != 0 { who.append("executable by others") }
        }
        let strictest = isDirectory ? StoreFileModes.directory : StoreFileModes.file
        self.path = path
        self.mode = String(format: "%04o", Int(mode & 0o7777))
        problem = who.joined(separator: ", ") + " (a store \(isDirectory ? "folder" : "file") should be \(String(format: "%04o", Int(strictest))) or stricter)"
    }
}

extension CheckpointStore {
    /// The store's own files and folders (not whatever else shares the root folder) whose
    /// mode is looser than `StoreFileModes` allows. Symbolic links have no mode of their
    /// own and are skipped; a file that is absent (the -wal when no connection is open)
    /// is nothing to report.
    func loosePermissions() -> [LoosePermission] {
        var found: [LoosePermission] = []
        func check(_ path: String) {
            var status = stat()
            guard lstat(path, &status) == 0 else { return }
            let type = status.st_mode & S_IFMT
            guard type == S_IFREG || type == S_IFDIR else { return }
            if let loose = LoosePermission(path: path, mode: status.st_mode) { found.append(loose) }
            guard type == S_IFDIR, path != layout.root.path else { return }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? [] {
                check(path + "/" + name)
            }
        }
        for url in [layout.root, layout.database] + layout.databaseCompanions + [layout.lock, layout.objects, layout.modelFiles] {
            check(url.path)
        }
        return found
    }
}
