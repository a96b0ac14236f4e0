import Foundation
import Model

/// What a new version records besides its weights.
public struct CommitDetails: Sendable {
    public var kind: String
    public var method: String?
    public var hyperparameters: [String: JSONValue]
    public var metrics: [String: JSONValue]
    public var note: String
    public var requests: [String]
    /// Why HEAD moves, and who moves it (the audit log keeps both).
    public var reason: String
    public var actor: String

    public init(kind: String, method: String? = nil, hyperparameters: [String: JSONValue] = [:], metrics: [String: JSONValue] = [:],
                note: String = "", requests: [String] = [], reason: String, actor: String = StoreActor.current) {
        self.kind = kind
        self.method = method
        self.hyperparameters = hyperparameters
        self.metrics = metrics
        self.note = note
        self.requests = requests
        self.reason = reason
        self.actor = actor
    }
}

extension CheckpointStore {
    /// Publishes the model's weights as a new version whose parent is `parent` (HEAD when
    /// nil) and moves HEAD to it, unless HEAD is no longer `expectedHead` (someone rolled
    /// back meanwhile): then nothing is published and `RegistryError.headMoved` is thrown.
    /// The object is durably on disk before the registry transaction that names it.
    /// `alongside` runs inside that transaction, so whatever it records (requests applied,
    /// items forgotten) is published together with the version or not at all.
    ///
    /// `parentWeights`, the parent's safetensors bytes when the caller already holds them (a job
    /// that loaded its parent), spare decoding the parent's delta chain again for the delta.
    @discardableResult
    public func commit(_ model: LlamaModel, _ details: CommitDetails, parent: Int?, parentWeights: [UInt8]? = nil, expectedHead: Int?,
                       alongside: (RegistryTransaction, VersionRecord) throws -> Void = { _, _ in }) throws -> VersionRecord {
        let bytes = try SafeTensorsWriter.serialize(model.safeTensors, metadata: ["format": "pt"])
        return try commit(safetensors: bytes, details, parent: parent, parentWeights: parentWeights, expectedHead: expectedHead,
                          alongside: alongside)
    }

    /// `commit` for weights already serialised as safetensors bytes.
    @discardableResult
    public func commit(safetensors bytes: [UInt8], _ details: CommitDetails, parent: Int?, parentWeights: [UInt8]? = nil,
                       expectedHead: Int?, alongside: (RegistryTransaction, VersionRecord) throws -> Void = { _, _ in }) throws -> VersionRecord {
        let lock = try WriterLock(root: layout.root)
        defer { withExtendedLifetime(lock) {} }
        let objectID = sha256Hex(bytes)
        let parentVersion = try parent.map { id -> VersionRecord in
            guard let version = try registry.version(id) else { throw StoreError.unknownVersion(id) }
            return version
        }
        let object: ObjectRecord, chainLength: Int
        let isNewObject: Bool
        if let existing = try registry.object(id: objectID) {
            (object, chainLength) = (existing, try registry.chainLength(ofObject: existing.id))  // identical weights: shared
            isNewObject = false
        } else {
            (object, chainLength) = try writeObject(id: objectID, bytes: bytes, against: parentVersion, parentWeights: parentWeights)
            isNewObject = true
        }
        let version = VersionRecord(
            id: try registry.nextVersionID(), parent: parentVersion?.id, createdAt: Date(), kind: .init(rawValue: details.kind),
            object: object.id, method: details.method, hyperparameters: details.hyperparameters,
            metrics: details.metrics, note: details.note, chainLength: chainLength)
        do {
            try registry.transaction { transaction in
                try transaction.publishVersion(version, object: object, requests: details.requests, moveHead: true,
                                               expectedHead: expectedHead, reason: details.reason, actor: details.actor)
                try alongside(transaction, version)
            }
        } catch {
            // Nothing was published (HEAD moved, say): the object written for it goes, under the lock.
            if isNewObject { try? FileManager.default.removeItem(at: layout.url(relativePath: object.path)) }
            throw error
        }
        try faultInjection(.registryCommitted)
        return version
    }

    /// Encodes and durably writes the object: a delta against the parent's object when the
    /// parent exists and the chain stays within the keyframe interval. Past it, a delta
    /// against the chain's keyframe when that is smaller than a full object (a version whose
    /// update lies on a change grid differs from the keyframe in few bits even after several
    /// versions), a full object otherwise. Returns the object and its chain length (delta hops
    /// to its keyframe).
    private func writeObject(id: String, bytes: [UInt8], against parent: VersionRecord?, parentWeights: [UInt8]?) throws -> (ObjectRecord, Int) {
        var encoding = ObjectEncoding.full
        var base: String?
        var stored: [UInt8]
        var chainLength = 0
        if let parent, case let parentChain = try registry.objectChain(parent.object), parentChain.count <= settings.keyframeInterval {
            // Bytes handed in are used only if they are the parent's object: a wrong delta base
            // would make an object that never decodes.
            let parentBytes = try parentWeights.flatMap { sha256Hex($0) == parent.object ? $0 : nil }
                ?? loadSafeTensorsBytes(version: parent.id)
            stored = try ObjectCodec.encodeDelta(base: parentBytes, target: bytes, settings: settings.compression)
            encoding = .delta
            base = parent.object
            chainLength = parentChain.count
        } else {
            stored = try ObjectCodec.encodeFull(bytes, settings: settings.compression)
            if let parent, settings.keyframeInterval > 0, let keyframe = try registry.objectChain(parent.object).first {
                let keyframeBytes = try loadObject(keyframe.id, forVersion: parent.id)
                let delta = try ObjectCodec.encodeDelta(base: keyframeBytes, target: bytes, settings: settings.compression)
                if delta.count < stored.count { (stored, encoding, base, chainLength) = (delta, .delta, keyframe.id, 1) }
            }
        }
        let relativePath = layout.relativeObjectPath(id: id)
        let url = layout.url(relativePath: relativePath)
        try StoreFileModes.createDirectories(at: url.deletingLastPathComponent())
        try DurableFile.write(stored, to: url, permissions: StoreFileModes.file) { step in try faultInjection(.object(step)) }
        let object = ObjectRecord(id: id, encoding: encoding, baseObject: base, rawSize: bytes.count,
                                  storedSize: stored.count, path: relativePath, createdAt: Date())
        return (object, chainLength)
    }
}
