/// The methods the benchmarks compare: DiPO and its baselines. The grid tunes each one's
/// learning rate and its own constant (β, or GradDiff's α) over the same number of values; the other
/// constants stay at the papers' values (shared/dipo.md) and the retain weight λ at 1.
public enum UnlearningMethod: String, CaseIterable, Sendable, Codable {
    /// DiPO: `topk+target` mask, k 1, γ 5, the reference as source; β tuned.
    case dipo
    /// DiPO with π± built from the current model's logits (`source = policy`); β tuned.
    case dipoPolicy = "dipo-policy"
    /// NPO; β tuned.
    case npo
    /// SimNPO, δ 0; β tuned.
    case simnpo
    /// Gradient ascent plus α · retain NLL; α tuned.
    case graddiff
    /// Gradient ascent alone: nothing but the learning rate to tune.
    case gradascent

    /// The name of the constant the grid tunes, nil for gradient ascent.
    public var constantName: String? {
        switch self {
        case .dipo, .dipoPolicy, .npo, .simnpo: "β"
        case .graddiff: "α"
        case .gradascent: nil
        }
    }

    /// The values the grid tries, the paper's default first.
    public var gridConstants: [Float] {
        switch self {
        case .dipo, .dipoPolicy: [1, 0.1]
        case .npo: [0.1, 0.5]
        case .simnpo: [4.5, 2.5]
        case .graddiff: [1, 4]
        case .gradascent: []
        }
    }

    /// The objective with `constant` in place of the tuned one's default.
    public func objective(constant: Float?) -> UnlearningOptions.Objective {
        switch self {
        case .dipo: .dipo(DiPO(beta: constant ?? DiPO().beta))
        case .dipoPolicy: .dipo(DiPO(beta: constant ?? DiPO().beta, source: .policy))
        case .npo: .npo(NPO(beta: constant ?? NPO().beta))
        case .simnpo: .simnpo(SimNPO(beta: constant ?? SimNPO().beta))
        case .graddiff: .gradDiff(alpha: constant ?? 1)
        case .gradascent: .gradAscent
        }
    }
}

/// What the grid tunes: the learning rate and the method's own constant.
public struct MethodSetting: Sendable, Codable, Hashable {
    public var learningRate: Double
    /// β or α as `UnlearningMethod.constantName` says; nil for gradient ascent.
    public var constant: Float?

    public init(learningRate: Double, constant: Float?) {
        self.learningRate = learningRate
        self.constant = constant
    }
}

/// The same small grid for every method: each learning rate with the first `constantCount`
/// of the method's constants.
public struct MethodGrid: Sendable, Codable, Equatable {
    public var learningRates: [Double]
    public var constantCount: Int

    public init(learningRates: [Double], constantCount: Int) {
        self.learningRates = learningRates
        self.constantCount = constantCount
    }

    /// The settings tried for `method`, learning rate major.
    public func settings(for method: UnlearningMethod) -> [MethodSetting] {
        let constants: [Float?] = method.gridConstants.isEmpty ? [nil] : Array(method.gridConstants.prefix(constantCount))
        return learningRates.flatMap { rate in constants.map { MethodSetting(learningRate: rate, constant: $0) } }
    }
}

/// What every method gets, the same for all: passes over the forget set, batch sizes, and the
/// retain term's weight.
public struct UnlearningBudget: Sendable, Codable, Equatable {
    public var epochs: Int
    public var forgetBatchSize: Int
    public var retainBatchSize: Int
    /// λ of the NLL retain term (GradDiff tunes its α instead).
    public var retainWeight: Float
    /// The parameters that train; nil: every one.
    public var scope: ParameterScope?
    /// The precision of the change the update ends with; nil: none.
    public var changeGrid: ChangeGrid?
    /// The strength of the retain projection; nil: none.
    public var retainProjection: Double?

    public init(epochs: Int, forgetBatchSize: Int, retainBatchSize: Int, retainWeight: Float = 1, scope: ParameterScope? = nil,
                changeGrid: ChangeGrid? = nil, retainProjection: Double? = nil) {
        self.epochs = epochs
        self.forgetBatchSize = forgetBatchSize
        self.retainBatchSize = retainBatchSize
        self.retainWeight = retainWeight
        self.scope = scope
        self.changeGrid = changeGrid
        self.retainProjection = retainProjection
    }

    /// The options of one run: the method's objective with the setting's constant, this
    /// budget, constant learning rate, AdamW defaults otherwise.
    public func options(method: UnlearningMethod, setting: MethodSetting, seed: UInt64) -> UnlearningOptions {
        UnlearningOptions(objective: method.objective(constant: setting.constant), retainTerm: .nll, retainWeight: retainWeight,
                          length: .epochs(epochs), forgetBatchSize: forgetBatchSize, retainBatchSize: retainBatchSize,
                          learningRate: setting.learningRate, seed: seed, scope: scope ?? .all, changeGrid: changeGrid,
                          retainProjection: retainProjection)
    }
}
