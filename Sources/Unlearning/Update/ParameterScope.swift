import Model

/// Which parameters an update may change. Frozen ones get no gradient and no weight decay:
/// their bytes stay exactly those of the parent version.
public enum ParameterScope: Sendable, Codable, Equatable {
    case all
    /// The feed-forward projections (gate, up, down) of every layer.
    case mlp
    /// Every tensor of these decoder layers (0-based), norms included.
    case layers(ClosedRange<Int>)

    /// The trainable stretches of the flat parameter buffer, adjacent tensors merged, in order.
    func trainableRanges(in layout: ParameterLayout, layerCount: Int) throws -> [Range<Int>] {
        let isTrainable: (String) -> Bool
        switch self {
        case .all:
            isTrainable = { _ in true }
        case .mlp:
            isTrainable = { $0.contains(".mlp.") }
        case .layers(let layers):
            guard layers.lowerBound >= 0 && layers.upperBound < layerCount else {
                throw UnlearningError.layersOutsideModel(layers, layerCount: layerCount)
            }
            let prefixes = layers.map { "model.layers.\($0)." }
            isTrainable = { name in prefixes.contains { name.hasPrefix($0) } }
        }
        var ranges: [Range<Int>] = []
        for tensor in layout.tensors where isTrainable(tensor.name) {
            let range = tensor.offset..<tensor.offset + tensor.count
            if let last = ranges.last, last.upperBound == range.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
            } else {
                ranges.append(range)
            }
        }
        return ranges
    }
}
