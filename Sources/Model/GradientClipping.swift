import Kernels

extension LlamaModel {
    /// Global L2 norm of all gradients.
    public var gradientNorm: Float {
        Float(sumOfSquares(gradients.baseAddress!, count: gradients.count).squareRoot())
    }

    /// Scales the gradients so their global L2 norm is at most `maxNorm`, as
    /// `torch.nn.utils.clip_grad_norm_` does; returns the norm before clipping.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Float {
        let norm = gradientNorm
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 { scale(gradients.baseAddress!, count: gradients.count, by: coefficient) }
        return norm
    }
}
