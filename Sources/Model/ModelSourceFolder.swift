import Foundation

/// A model source as a user names it — a Hugging Face folder or a GGUF file — as the folder the
/// rest of Lethe reads. A GGUF file is converted into a new temporary folder, which `remove()`
/// deletes once the caller has taken what it needs (a store copies the files it keeps).
public struct ModelSourceFolder {
    public let folder: URL
    /// What the conversion wrote, for a GGUF source.
    public let conversion: GGUFModelConversion.Summary?
    private let isTemporary: Bool

    /// Whether the file at `url` is a GGUF file (it starts with the bytes "GGUF").
    public static func isGGUF(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    public init(source: URL) throws {
        guard Self.isGGUF(source) else {
            folder = source
            conversion = nil
            isTemporary = false
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-gguf-\(UUID().uuidString)", isDirectory: true)
        do {
            conversion = try GGUFModelConversion(GGUFFile(contentsOf: source)).write(to: folder)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        self.folder = folder
        isTemporary = true
    }

    /// Deletes the converted folder; a user's own folder is left alone.
    public func remove() {
        if isTemporary { try? FileManager.default.removeItem(at: folder) }
    }
}
