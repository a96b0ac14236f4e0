/// Why an unlearning update cannot run.
public enum UnlearningError: Error, Equatable, CustomStringConvertible {
    case invalidOption(name: String, value: Double)
    case noForgetExamples
    /// The objective has a retain term but no retain example was given.
    case noRetainExamples
    case layersOutsideModel(ClosedRange<Int>, layerCount: Int)

    public var description: String {
        switch self {
        case .invalidOption(let name, let value): "the unlearning option \(name) = \(value) is out of range"
        case .noForgetExamples: "an unlearning update needs at least one forget example"
        case .noRetainExamples: "the objective has a retain term, but no retain example was given"
        case .layersOutsideModel(let layers, let count): "layers \(layers) are not all in a model of \(count) layers"
        }
    }
}
