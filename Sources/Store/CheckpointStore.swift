import Foundation
import Model

/// A versioned checkpoint store: the registry (`lethe.sqlite`) and the objects it names.
/// Every method is safe to call from several processes at once: writers of objects
/// serialise on `WriterLock`, and every registry change is one SQLite transaction.
public final class CheckpointStore: @unchecked Sendable {
    public let layout: StoreLayout
    public let registry: Registry
    public var settings: StoreSettings
    /// Test hook: called after each step of publishing a version; throwing simulates a crash there.
    public var faultInjection: (PublishStep) throws -> Void = { _ in }

    /// The steps of publishing a version, in order.
    public enum PublishStep: Equatable, Sendable {
        case object(DurableFile.Step)
        case registryCommitted
    }

    /// Opens an existing store.
    public convenience init(root: URL, settings: StoreSettings = StoreSettings()) throws {
        let layout = StoreLayout(root: root)
        guard FileManager.default.fileExists(atPath: layout.database.path) else { throw StoreError.notAStore(path: root.path) }
        self.init(layout: layout, registry: try Registry(path: layout.database.path), settings: settings)
    }

    private init(layout: StoreLayout, registry: Registry, settings: StoreSettings) {
        self.layout = layout
        self.registry = registry
        self.settings = settings
    }

    /// Creates a store whose version 0 is the Hugging Face model folder `modelFolder`:
    /// its weights become a full object, its other files (config, tokenizer) are kept in
    /// `model/` so that `export` can write a complete folder again.
    /// `source` names what the folder was made from (a GGUF file converted into a temporary
    /// folder) in version 0's note; by default the folder itself.
    public static func create(
        at root: URL, importing modelFolder: URL, source: String? = nil, settings: StoreSettings = StoreSettings(),
        actor: String = StoreActor.current
    ) throws -> CheckpointStore {
        let layout = StoreLayout(root: root)
        if FileManager.default.fileExists(atPath: layout.database.path) { throw StoreError.alreadyAStore(path: root.path) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelFolder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError.notAFolder(path: modelFolder.path)
        }
        let model = try ModelFolder.load(modelFolder)
        try StoreFileModes.createDirectories(at: layout.objects)
        try copyModelFiles(from: modelFolder, to: layout.modelFiles)
        let store = CheckpointStore(layout: layout, registry: try Registry(path: layout.database.path), settings: settings)
        try store.commit(model, CommitDetails(kind: "init", note: "imported from \(source ?? modelFolder.path)", reason: "init", actor: actor),
                         parent: nil, expectedHead: nil)
        return store
    }

    /// Everything in the folder but the weights: config.json, tokenizer and generation files.
    private static func copyModelFiles(from folder: URL, to destination: URL) throws {
        let fileManager = FileManager.default
        try StoreFileModes.createDirectories(at: destination)
        for name in try fileManager.contentsOfDirectory(atPath: folder.path).sorted() {
            let source = folder.appendingPathComponent(name)
            let values = try source.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            guard values.isRegularFile == true, values.isSymbolicLink != true,
                  !ModelFolder.isWeightsFile(name), !name.hasPrefix(".")
            else { continue }
            try DurableFile.write(Array(try Data(contentsOf: source)), to: destination.appendingPathComponent(name),
                                  permissions: StoreFileModes.file)
        }
    }

    /// The model's config.json as imported.
    public func config() throws -> LlamaConfig {
        try LlamaConfig(contentsOf: layout.modelFiles.appendingPathComponent(ModelFolder.configFile))
    }

    /// HEAD, which must exist in an initialised store.
    public func head() throws -> Int {
        guard let head = try registry.head() else { throw StoreError.noHead }
        return head
    }
}

/// Who made a change, for the audit log: the user running the command.
public enum StoreActor {
    public static var current: String {
        ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
    }
}
