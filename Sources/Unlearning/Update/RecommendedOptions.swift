extension UnlearningOptions {
    /// The update Lethe makes when nobody says otherwise (the daemon's default, `lethe forget`'s):
    /// DiPO with β 0.1 (γ 5, k 1, `topk+target`, the parent as reference), AdamW at a constant
    /// 3e-4, 5 epochs over the forget items, batches of 8 forget and 8 retain examples, λ 1 on
    /// the retain NLL. Chosen from `lethe bench tofu` and `lethe bench sequential` on the
    /// embedded model; docs/dipo.md ("Defaults") gives the measurements and the reasons.
    public static let recommended = UnlearningOptions(
        objective: .dipo(recommendedDiPO), retainTerm: .nll, retainWeight: 1, length: .epochs(recommendedEpochs), forgetBatchSize: 8,
        retainBatchSize: 8, learningRate: 3e-4)

    public static let recommendedDiPO = DiPO(beta: 0.1)
    public static let recommendedEpochs = 5
}
