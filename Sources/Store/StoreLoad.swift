import Foundation
import Model

extension CheckpointStore {
    /// The version's weights as the raw safetensors bytes, decoded through its delta chain
    /// and checked against the object's SHA-256 (a mismatch names the version).
    public func loadSafeTensorsBytes(version id: Int) throws -> [UInt8] {
        guard let version = try registry.version(id) else { throw StoreError.unknownVersion(id) }
        return try loadObject(version.object, forVersion: id)
    }

    /// The version's model: the store's config with the version's weights.
    public func loadModel(version id: Int) throws -> LlamaModel {
        try model(weights: try loadSafeTensorsBytes(version: id), version: id)
    }

    /// A model of the store's config with `bytes`, version `id`'s safetensors bytes already loaded.
    public func model(weights bytes: [UInt8], version id: Int) throws -> LlamaModel {
        let model = LlamaModel(config: try config())
        try model.loadWeights(from: try SafeTensorsFile(bytes: bytes), fileName: "version \(id)")
        return model
    }

    func loadObject(_ objectID: String, forVersion version: Int) throws -> [UInt8] {
        // From the keyframe up to the object.
        let chain: [ObjectRecord]
        do { chain = try registry.objectChain(objectID) } catch let error as RegistryError {
            throw StoreError.objectMissing(version: version, object: objectID, path: "\(error)")
        }
        var bytes: [UInt8] = []
        for object in chain {
            let url = layout.url(relativePath: object.path)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw StoreError.objectMissing(version: version, object: object.id, path: url.path)
            }
            do {
                // The registry's raw size bounds what a forged object could make the decoder allocate.
                bytes = object.encoding == .delta
                    ? try ObjectCodec.decodeDelta(base: bytes, delta: Array(data), expectedByteCount: object.rawSize)
                    : try ObjectCodec.decodeFull(Array(data), expectedByteCount: object.rawSize)
            } catch {
                throw StoreError.decodeFailure(version: version, object: object.id, reason: "\(error)")
            }
            let actual = sha256Hex(bytes)
            guard actual == object.id else {
                throw StoreError.integrityFailure(version: version, object: object.id, expected: object.id, actual: actual)
            }
        }
        return bytes
    }
}
