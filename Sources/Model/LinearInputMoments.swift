import Kernels

/// Sums of xxᵀ over the inputs x of every linear map of the model, over the real (unpadded)
/// tokens of the batches accumulated (divided by `tokenCount`, the second moments): the
/// directions those tokens use of each weight matrix. A change ΔW with ΔW·x ≈ 0 for these x
/// leaves what the map computes for them as it was.
public struct LinearInputMoments: Sendable {
    /// Each square matrix row-major, width × width.
    public struct Matrix: Sendable {
        public let width: Int
        public var sums: [Float]
        public init(width: Int) {
            self.width = width
            sums = Array(repeating: 0, count: width * width)
        }
    }
    /// Per layer: the input of q/k/v (the attention norm's output), of o (the attention's
    /// output), of gate/up (the MLP norm's output), of down (silu(gate)·up).
    public var attentionInput: [Matrix]
    public var attentionOutput: [Matrix]
    public var mlpInput: [Matrix]
    public var mlpHidden: [Matrix]
    /// The input of the output projection (the final norm's output).
    public var headInput: Matrix
    /// Tokens accumulated.
    public var tokenCount = 0

    public init(config c: LlamaConfig) {
        let C = c.hiddenSize, I = c.intermediateSize, A = c.headCount * c.headDim
        attentionInput = (0..<c.layerCount).map { _ in Matrix(width: C) }
        attentionOutput = (0..<c.layerCount).map { _ in Matrix(width: A) }
        mlpInput = (0..<c.layerCount).map { _ in Matrix(width: C) }
        mlpHidden = (0..<c.layerCount).map { _ in Matrix(width: I) }
        headInput = Matrix(width: C)
    }
}

extension LinearInputMoments.Matrix {
    /// Adds xxᵀ for the rows of `rows` (count × width, row-major) that `keep` selects.
    mutating func accumulate(_ rows: UnsafePointer<Float>, keep: [Int]) {
        let w = width
        var gathered = [Float](repeating: 0, count: keep.count * w)
        for (i, row) in keep.enumerated() {
            for j in 0..<w { gathered[i * w + j] = rows[row * w + j] }
        }
        sums.withUnsafeMutableBufferPointer { gramAccumulate($0.baseAddress!, rows: gathered, count: keep.count, width: w) }
    }

    /// The sums with the lower triangle filled in (`accumulate` writes the upper one).
    public var symmetric: [Float] {
        var full = sums
        full.withUnsafeMutableBufferPointer { mirrorUpperTriangle($0.baseAddress!, width: width) }
        return full
    }
}

extension LlamaModel {
    /// Runs `batch` forward and adds its real tokens' linear inputs to `moments`: of the
    /// layers that train and of the output projection (forward keeps no others).
    public func accumulateLinearInputMoments(_ batch: TokenBatch, into moments: inout LinearInputMoments) throws {
        try forward(batch)
        let a = activations!
        let keep = batch.keyMask.indices.filter { batch.keyMask[$0] }
        let I = config.intermediateSize
        var hidden = [Float](repeating: 0, count: batch.tokenCount * I)
        for l in max(0, lowestTrainedLayer)..<config.layerCount {
            moments.attentionInput[l].accumulate(a.inputNorm[l], keep: keep)
            moments.attentionOutput[l].accumulate(a.attention[l], keep: keep)
            moments.mlpInput[l].accumulate(a.postNorm[l], keep: keep)
            hidden.withUnsafeMutableBufferPointer { swiGLUForward($0.baseAddress!, gateUp: a.gateUp[l], rows: batch.tokenCount, hidden: I) }
            moments.mlpHidden[l].accumulate(hidden, keep: keep)
        }
        moments.headInput.accumulate(a.finalNorm, keep: keep)
        moments.tokenCount += keep.count
    }
}
