/// Where an unlearning update stands, reported after every step.
public struct UnlearningProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    /// forgetLoss + weight · retainLoss of this step.
    public var loss: Float
    /// The objective's loss on this step's forget batch.
    public var forgetLoss: Float
    /// The retain term on this step's retain batch, unweighted (0 without a retain term).
    public var retainLoss: Float
    public var learningRate: Double
    public var tokensPerSecond: Double
    public var secondsElapsed: Double
    public var secondsRemaining: Double
}
