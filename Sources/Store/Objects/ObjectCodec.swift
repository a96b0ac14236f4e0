/// Encodes and decodes checkpoint objects: the compressed bytes of one version's
/// `model.safetensors`, either whole (`full`) or against its parent version (`delta`).
/// Container formats: docs/store.md.
///
/// Every function is pure and thread-safe; the parallel ones use up to
/// `CompressionSettings.workers` threads (decoding: one per active core).
public enum ObjectCodec {}
