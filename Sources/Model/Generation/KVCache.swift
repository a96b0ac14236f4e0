import Kernels

/// The keys and values of every layer for up to `capacity` positions, kept so that a new
/// token attends to the past without recomputing it. One allocation, head-major per layer:
/// keys[G, capacity, D] then values[G, capacity, D] (the layout `cachedAttentionForward`
/// reads), so grouped-query attention stores G heads, not H.
final class KVCache {
    let shape: CachedAttentionShape
    /// Positions 0..<count hold keys and values.
    var count = 0
    private let storage: UnsafeMutablePointer<Float>
    /// Floats of one layer's keys (and of its values): G × capacity × D.
    private let layerSize: Int

    init(config: LlamaConfig, capacity: Int) {
        shape = CachedAttentionShape(heads: config.headCount, keyValueHeads: config.keyValueHeadCount,
                                     headDim: config.headDim, capacity: capacity, window: config.slidingWindow)
        layerSize = config.keyValueHeadCount * capacity * config.headDim
        let total = 2 * config.layerCount * layerSize
        storage = .allocate(capacity: total)
        storage.initialize(repeating: 0, count: total)
    }

    deinit { storage.deallocate() }

    var capacity: Int { shape.capacity }

    func keys(layer l: Int) -> UnsafeMutablePointer<Float> { storage + 2 * l * layerSize }
    func values(layer l: Int) -> UnsafeMutablePointer<Float> { keys(layer: l) + layerSize }

    /// Copies the keys and values of `rows` fused projection rows ([q | k | v] heads,
    /// `rowStride` apart, k already rotated) into layer l at positions start..<start + rows.
    func store(layer l: Int, qkv: UnsafePointer<Float>, rowStride: Int, rows: Int, start: Int) {
        let H = shape.heads, G = shape.keyValueHeads, D = shape.headDim
        let keys = keys(layer: l), values = values(layer: l)
        for n in 0..<rows {
            let row = qkv + n * rowStride
            for g in 0..<G {
                let offset = shape.cacheOffset(group: g, position: start + n)
                (keys + offset).update(from: row + (H + g) * D, count: D)
                (values + offset).update(from: row + (H + G + g) * D, count: D)
            }
        }
    }
}
