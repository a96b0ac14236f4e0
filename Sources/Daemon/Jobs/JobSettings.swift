import Model
import Unlearning

/// The update and gate budget one job runs with: the configuration's defaults, with what its
/// requests chose (the parser already held those choices to the configured policy). Requests
/// are coalesced into one job only when their settings are equal.
public struct JobSettings: Sendable, Equatable {
    public var method: UnlearningMethod
    public var epochs: Int
    public var learningRate: Double
    /// The most model utility the version may lose against the base version, as a fraction.
    public var maxUtilityDrop: Double
    /// The strength of the retain projection; nil: none.
    public var retainProjection: Double?
    /// The share of each tensor's weights the update may change; nil: all.
    public var changeDensity: Double?

    public init(configuration: DaemonConfiguration, options: RequestOptions = RequestOptions()) {
        method = UnlearningMethod(rawValue: options.method ?? configuration.update.method) ?? .dipo
        epochs = options.epochs ?? configuration.update.epochs
        learningRate = options.learningRate ?? configuration.update.learningRate
        maxUtilityDrop = min(options.maxUtilityDrop ?? configuration.gate.maxUtilityDrop, configuration.gate.maxUtilityDrop)
        retainProjection = configuration.update.retainProjection > 0 ? configuration.update.retainProjection : nil
        changeDensity = configuration.update.changeDensity < 1 ? configuration.update.changeDensity : nil
    }

    /// The update's options for a model of `model` (the benchmark's form: the method's
    /// objective, constant learning rate, the configured scope or the recommended one for the
    /// model, with the configured retain term, forget target and change grid); `seed` orders the batches.
    public func unlearningOptions(_ configuration: DaemonConfiguration, model: LlamaConfig, seed: UInt64) -> UnlearningOptions {
        let update = configuration.update
        // GradDiff's constant is α, configured as `retain_weight`; the others' is β.
        let constant: Float? = switch method {
        case .graddiff: update.retainWeight
        case .gradascent: nil
        case .dipo, .dipoPolicy, .npo, .simnpo: update.beta
        }
        let budget = UnlearningBudget(epochs: epochs, forgetBatchSize: update.forgetBatchSize, retainBatchSize: update.retainBatchSize,
                                      retainWeight: method == .graddiff ? 1 : update.retainWeight,
                                      scope: update.scope ?? .recommended(for: model, retainProjection: retainProjection != nil))
        var options = budget.options(method: method, setting: MethodSetting(learningRate: learningRate, constant: constant), seed: seed)
        options.retainTerm = update.retainTerm
        options.forgetTarget = update.forgetTarget > 0 ? update.forgetTarget : nil
        options.changeGrid = update.changeBits > 0 ? ChangeGrid(bits: update.changeBits) : nil
        options.retainProjection = retainProjection
        options.changeDensity = changeDensity.map(ChangeDensity.init(fraction:))
        return options
    }

    /// The settings as recorded with a version and in result files.
    public var hyperparameters: [String: JSONValue] {
        var recorded: [String: JSONValue] = ["method": .string(method.rawValue), "epochs": .number(Double(epochs)),
                                             "learning_rate": .number(learningRate), "max_utility_drop": .number(maxUtilityDrop)]
        if let retainProjection { recorded["retain_projection"] = .number(retainProjection) }
        if let changeDensity { recorded["change_density"] = .number(changeDensity) }
        return recorded
    }
}
