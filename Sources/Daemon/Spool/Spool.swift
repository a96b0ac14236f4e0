import Foundation
import Model
import Store

/// The request spool, Maildir's protocol (DESIGN.md, "Daemon and spool"): writers create a
/// file in `tmp/` and rename it into `incoming/` when it is complete; the daemon claims it by
/// renaming it into `active/`, and when it is answered renames it into `done/` or `failed/`
/// beside its report. A request is in exactly one folder at any moment, and every move is a
/// rename within one file system.
///
/// This is the submitter's side, by path: handing a file in and reading answers. The daemon
/// reaches its folders through `SpoolFolders`, by descriptor.
public struct Spool: Sendable {
    public enum Folder: String, CaseIterable, Sendable {
        case tmp, incoming, active, done, failed

        /// The mode the daemon creates the folder with, and the loosest it serves: submitters (the
        /// spool's group) may create files in `tmp/` and rename them into `incoming/`; the sticky
        /// bit keeps one submitter from renaming or removing another's file, setgid keeps the
        /// files in the group. The other folders are the daemon's alone.
        public var mode: mode_t {
            switch self {
            case .tmp, .incoming: 0o3770
            case .active, .done, .failed: 0o750
            }
        }
    }

    /// The spool's own mode: its group may enter it but not rename or replace what is in it,
    /// so no submitter can put a symlink where a daemon folder or `status.json` is.
    public static let rootMode: mode_t = 0o750

    public let root: URL

    public init(root: URL) { self.root = root }

    public func url(_ folder: Folder) -> URL { root.appendingPathComponent(folder.rawValue, isDirectory: true) }

    func url(_ folder: Folder, _ name: String) -> URL { url(folder).appendingPathComponent(name) }

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
