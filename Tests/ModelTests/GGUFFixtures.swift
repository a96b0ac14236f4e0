import Foundation
import Model

/// The committed GGUF fixtures written by Tests/Fixtures/make_gguf_fixtures.py.
enum GGUFFixtures {
    static let root = Fixtures.root.appendingPathComponent("gguf")

    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    /// A zstd-compressed fixture file, restored.
    static func decompressed(_ path: String) throws -> [UInt8] {
        let compressed = try Data(contentsOf: url(path))
        return try compressed.withUnsafeBytes { try ZstdStream.decompress($0) }
    }

    static func safeTensors(_ path: String) throws -> SafeTensorsFile { try SafeTensorsFile(bytes: decompressed(path)) }

    static func json(_ bytes: [UInt8]) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }
}
