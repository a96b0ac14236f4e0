/// The settings of one unlearning update: the objective on the forget examples, the retain
/// term that holds the rest of the model in place, the optimizer and its schedule, and which
/// parameters may move. Stored beside the version it produced, so it is Codable.
public struct UnlearningOptions: Sendable, Codable, Equatable {
    /// The loss on the forget batches.
    public enum Objective: Sendable, Codable, Equatable {
        case dipo(DiPO)
        case npo(NPO)
        case simnpo(SimNPO)
        /// Plain gradient ascent; no retain term.
        case gradAscent
        /// Gradient ascent plus α · NLL on the retain batches (the retain options are not used).
        case gradDiff(alpha: Float)
    }

    /// The loss on the retain batches.
    public enum RetainTerm: String, Sendable, Codable {
        /// Mean token NLL of the retain answers.
        case nll
        /// KL(π_ref ‖ π_θ) at the retain answers' positions.
        case kl
    }

    /// How long the update runs: whole passes over the forget examples, or a number of steps.
    public enum Length: Sendable, Codable, Equatable {
        case epochs(Int)
        case steps(Int)
    }

    public var objective: Objective
    public var retainTerm: RetainTerm
    /// λ: the retain term's weight (GradDiff uses its α instead).
    public var retainWeight: Float
    public var length: Length
    public var forgetBatchSize: Int
    public var retainBatchSize: Int
    public var learningRate: Double
    public var weightDecay: Double
    public var warmupSteps: Int
    public var decay: LearningRateSchedule.Decay
    public var maxGradientNorm: Float
    /// Seeds the order of the forget batches and of the retain batches paired with them.
    public var seed: UInt64
    public var scope: ParameterScope
    /// Per-item early stopping: at the start of every epoch, a forget example whose answer the
    /// model finds at most this fraction as likely (p̄) as the base version did sits the epoch
    /// out, so the update holds each item near the level a model that never saw it shows
    /// instead of pushing it on; replayed items already there train only if drawn back above
    /// it. The update ends when an epoch begins with every item there. Nil: every item trains
    /// every epoch.
    public var forgetTarget: Double?
    /// The precision of the change, relative to the parent, that the update ends with (nil:
    /// whatever AdamW left, noise in every weight's low-order bits).
    public var changeGrid: ChangeGrid?
    /// The share of each tensor's weights the update may change (`ChangeDensity`): at the end
    /// of every epoch the smaller changes go back to the parent's weights, so the items left to
    /// train and the version published are measured on the sparse change. Nil: every weight may move.
    public var changeDensity: ChangeDensity?
    /// Each step is kept out of the directions the retain examples' inputs use, weight matrix
    /// by weight matrix, with this strength (`RetainProjection`): the smaller, the more of the
    /// step is removed. Nil: steps go where AdamW sends them.
    public var retainProjection: Double?

    public init(objective: Objective = .dipo(DiPO()), retainTerm: RetainTerm = .nll, retainWeight: Float = 1,
                length: Length = .epochs(5), forgetBatchSize: Int = 4, retainBatchSize: Int = 4,
                learningRate: Double = 1e-4, weightDecay: Double = 0.01, warmupSteps: Int = 0,
                decay: LearningRateSchedule.Decay = .constant, maxGradientNorm: Float = 1, seed: UInt64 = 1,
                scope: ParameterScope = .all, forgetTarget: Double? = nil, changeGrid: ChangeGrid? = nil, retainProjection: Double? = nil,
                changeDensity: ChangeDensity? = nil) {
        self.objective = objective
        self.retainTerm = retainTerm
        self.retainWeight = retainWeight
        self.length = length
        self.forgetBatchSize = forgetBatchSize
        self.retainBatchSize = retainBatchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.warmupSteps = warmupSteps
        self.decay = decay
        self.maxGradientNorm = maxGradientNorm
        self.seed = seed
        self.scope = scope
        self.forgetTarget = forgetTarget
        self.changeGrid = changeGrid
        self.retainProjection = retainProjection
        self.changeDensity = changeDensity
    }

    /// The head that scores the forget batches.
    var forgetHead: any LossHead {
        switch objective {
        case .dipo(let dipo): dipo
        case .npo(let npo): npo
        case .simnpo(let simnpo): simnpo
        case .gradAscent, .gradDiff: GradientAscent()
        }
    }

    /// The head that scores the retain batches and its weight; nil when the objective has none.
    var retainHead: (head: any LossHead, weight: Float)? {
        switch objective {
        case .gradAscent: nil
        case .gradDiff(let alpha): (NegativeLogLikelihood(), alpha)
        case .dipo, .npo, .simnpo: (retainTerm == .nll ? NegativeLogLikelihood() : ReferenceKL(), retainWeight)
        }
    }

    /// Throws on a setting no update can run with.
    func validate() throws {
        let steps: Int
        switch length {
        case .epochs(let count), .steps(let count): steps = count
        }
        let checks: [(String, Double, Bool)] = [
            ("length", Double(steps), steps > 0),
            ("forgetBatchSize", Double(forgetBatchSize), forgetBatchSize > 0),
            ("retainBatchSize", Double(retainBatchSize), retainBatchSize > 0),
            ("learningRate", learningRate, learningRate > 0 && learningRate.isFinite),
            ("weightDecay", weightDecay, weightDecay >= 0 && weightDecay.isFinite),
            ("warmupSteps", Double(warmupSteps), warmupSteps >= 0),
            ("maxGradientNorm", Double(maxGradientNorm), maxGradientNorm > 0),
            ("retainWeight", Double(retainWeight), retainWeight >= 0 && retainWeight.isFinite),
        ]
        if let forgetTarget, !(forgetTarget > 0 && forgetTarget < 1) {
            throw UnlearningError.invalidOption(name: "forgetTarget", value: forgetTarget)
        }
        if let retainProjection, !(retainProjection > 0 && retainProjection.isFinite) {
            throw UnlearningError.invalidOption(name: "retainProjection", value: retainProjection)
        }
        if let changeDensity, !(changeDensity.fraction > 0 && changeDensity.fraction <= 1) {
            throw UnlearningError.invalidOption(name: "changeDensity", value: changeDensity.fraction)
        }
        if let changeGrid, !ChangeGrid.bitRange.contains(changeGrid.bits) {
            throw UnlearningError.invalidOption(name: "changeGrid.bits", value: Double(changeGrid.bits))
        }
        for (name, value, valid) in checks where !valid { throw UnlearningError.invalidOption(name: name, value: value) }
        if case .gradDiff(let alpha) = objective, !(alpha >= 0 && alpha.isFinite) {
            throw UnlearningError.invalidOption(name: "alpha", value: Double(alpha))
        }
    }
}
