/// How a checkpoint object stores a version's safetensors bytes.
public enum ObjectEncoding: String, Codable, Sendable {
    /// The whole file as one standard zstd frame: `zstd -d` gives it back.
    case full
    /// The file against its parent version's file, in the delta container format
    /// (docs/store.md).
    case delta
}
