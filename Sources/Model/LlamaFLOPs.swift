extension LlamaConfig {
    /// Parameters of the matrices every token multiplies through (layer projections and
    /// the output head; the embedding lookup is not a matmul).
    public var matmulParameterCount: Int {
        let C = hiddenSize, I = intermediateSize
        let attention = C * (headCount + 2 * keyValueHeadCount) * headDim + headCount * headDim * C
        return layerCount * (attention + 3 * C * I) + vocabSize * C
    }

    /// Floating-point operations of one training step (forward + backward = 3 × forward)
    /// over a batch of B × T tokens: 2 per multiply–add in the matmuls, plus the
    /// attention score and value products over the full T × T square that is computed.
    public func trainingStepFLOPs(batchSize: Int, length: Int) -> Double {
        let tokens = Double(batchSize * length)
        let attention = 2.0 * 2.0 * Double(batchSize * headCount * length * length * headDim)
        return 3 * (2 * tokens * Double(matmulParameterCount) + attention)
    }
}
