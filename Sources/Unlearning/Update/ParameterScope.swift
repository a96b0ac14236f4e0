import Model

/// Which parameters an update may change. Frozen ones get no gradient, no gradient memory, no
/// optimizer moments and no weight decay: their bytes stay exactly those of the parent
/// version, and backward stops at the lowest layer that trains.
public enum ParameterScope: Sendable, Codable, Equatable {
    case all
    /// The feed-forward projections (gate, up, down) of every layer.
    case mlp
    /// Every tensor of these decoder layers (0-based), norms included.
    case layers(ClosedRange<Int>)
    /// Every tensor of the upper half of the decoder layers, ⌊L/2⌋ … L − 1 (all of a one-layer model).
    case upperHalf

    /// The scope's name in configuration files and on the command line: `all`, `mlp`,
    /// `upper-half`, or `layers:A-B` (0-based, inclusive; `layers:A` for one layer).
    public var name: String {
        switch self {
        case .all: "all"
        case .mlp: "mlp"
        case .upperHalf: "upper-half"
        case .layers(let layers): layers.count == 1 ? "layers:\(layers.lowerBound)" : "layers:\(layers.lowerBound)-\(layers.upperBound)"
        }
    }

    /// The scope named `name` (see `name`); nil when it names none.
    public init?(name: String) {
        switch name {
        case "all": self = .all
        case "mlp": self = .mlp
        case "upper-half": self = .upperHalf
        default:
            guard name.hasPrefix("layers:") else { return nil }
            let bounds = name.dropFirst("layers:".count).split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(bounds.count), let first = bounds.first!, let last = bounds.last!, 0 <= first, first <= last else { return nil }
            self = .layers(first...last)
        }
    }

    /// The trainable stretches of the flat parameter buffer, adjacent tensors merged, in order.
    public func trainableRanges(in layout: ParameterLayout, layerCount: Int) throws -> [Range<Int>] {
        let isTrainable: (String) -> Bool
        switch self {
        case .all:
            isTrainable = { _ in true }
        case .mlp:
            isTrainable = { $0.contains(".mlp.") }
        case .layers, .upperHalf:
            let layers = if case .layers(let range) = self { range } else { layerCount / 2...layerCount - 1 }
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
