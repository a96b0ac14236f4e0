import Kernels

/// The keys and values of every layer for `slots` sequences of up to `capacity` positions
/// each, kept so that a new token attends to its sequence's past without recomputing it. One
/// allocation, head-major per layer: keys[S, G, capacity, D] then values[S, G, capacity, D]
/// (the layout `cachedAttentionForward` reads), so grouped-query attention stores G heads,
/// not H.
final class KVCache {
    let shape: CachedAttentionShape
    /// [S]: slot s holds keys and values at positions 0..<counts[s].
    let counts: UnsafeMutablePointer<Int>
    private let storage: UnsafeMutablePointer<Float>
    /// Floats of one layer's keys (and of its values): S × G × capacity × D.
    private let layerSize: Int
    private let layerCount: Int

    init(config: LlamaConfig, capacity: Int, slots: Int) {
        shape = CachedAttentionShape(heads: config.headCount, keyValueHeads: config.keyValueHeadCount,
                                     headDim: config.headDim, capacity: capacity, slots: slots, window: config.slidingWindow)
        counts = .allocate(capacity: slots)
        counts.initialize(repeating: 0, count: slots)
        layerSize = slots * Self.floatsPerSlotAndLayer(config: config, capacity: capacity) / 2
        layerCount = config.layerCount
        let total = 2 * config.layerCount * layerSize
        storage = .allocate(capacity: total)
        storage.initialize(repeating: 0, count: total)
    }

    deinit {
        storage.deallocate()
        counts.deallocate()
    }

    /// Floats one slot of `capacity` positions takes in one layer, keys and values.
    static func floatsPerSlotAndLayer(config: LlamaConfig, capacity: Int) -> Int {
        2 * config.keyValueHeadCount * capacity * config.headDim
    }

    var capacity: Int { shape.capacity }
    var slots: Int { shape.slots }

    func keys(layer l: Int) -> UnsafeMutablePointer<Float> { storage + 2 * l * layerSize }
    func values(layer l: Int) -> UnsafeMutablePointer<Float> { keys(layer: l) + layerSize }

    /// Copies the keys and values of fused projection rows ([q | k | v] heads, `rowStride`
    /// apart, k already rotated) into layer l: each segment's rows go to its slot at its
    /// positions.
    func store(layer l: Int, qkv: UnsafePointer<Float>, rowStride: Int, segments: UnsafeBufferPointer<CachedAttentionSegment>) {
        let H = shape.heads, G = shape.keyValueHeads, D = shape.headDim
        let keys = keys(layer: l), values = values(layer: l)
        for segment in segments {
            for n in 0..<segment.count {
                let row = qkv + (segment.row + n) * rowStride
                for g in 0..<G {
                    let offset = shape.cacheOffset(slot: segment.slot, group: g, position: segment.start + n)
                    (keys + offset).update(from: row + (H + g) * D, count: D)
                    (values + offset).update(from: row + (H + G + g) * D, count: D)
                }
            }
        }
    }

    /// Copies positions 0..<count of slot `source` into slot `target` in every layer: a shared
    /// prefix computed once.
    func copyPrefix(_ count: Int, from source: Int, to target: Int) {
        let G = shape.keyValueHeads, D = shape.headDim
        for l in 0..<layerCount {
            for storage in [keys(layer: l), values(layer: l)] as [UnsafeMutablePointer<Float>] {
                for g in 0..<G {
                    (storage + shape.cacheOffset(slot: target, group: g, position: 0))
                        .update(from: storage + shape.cacheOffset(slot: source, group: g, position: 0), count: count * D)
                }
            }
        }
    }
}
