import Model

/// What the daemon's gate reads of one forget item under a version: how much of the forgotten
/// answer the version still says (ROUGE-L recall of its greedy answer, over all its words and
/// over those the question does not give) and how likely it still finds that answer, against the
/// base version (p̄ under the version over p̄ under the base).
public struct ForgetItemScore: Sendable, Codable, Equatable {
    public let id: String
    public let rougeLRecall: Double
    /// ROUGE-L recall of the answer's words that its prompt does not contain
    /// (`RougeL.recall(candidate:reference:beyond:)`).
    public let recallBeyondPrompt: Double
    public let probability: Double
    public let baseProbability: Double
    /// The greedy answer the recall was measured on.
    public let generated: String

    public init(id: String, rougeLRecall: Double, recallBeyondPrompt: Double, probability: Double, baseProbability: Double,
                generated: String) {
        self.id = id
        self.rougeLRecall = rougeLRecall
        self.recallBeyondPrompt = recallBeyondPrompt
        self.probability = probability
        self.baseProbability = baseProbability
        self.generated = generated
    }

    /// How much of the answer to forget the greedy answer keeps, as the forget criteria read it:
    /// the lesser of the two recalls. A model that never saw the item answers in one of two
    /// shapes: the question's words (the author's name, the prize asked about) around another
    /// value, which only the recall beyond the prompt sees as wrong, or another author's name
    /// around a value it guesses, which only the plain recall does. Only an answer that keeps
    /// both is the fact (docs/dipo.md, "Forget criteria").
    public var keptRecall: Double { Self.keptRecall(rougeLRecall: rougeLRecall, recallBeyondPrompt: recallBeyondPrompt) }

    /// `keptRecall` from the two recalls as a score records them.
    public static func keptRecall(rougeLRecall: Double, recallBeyondPrompt: Double) -> Double { min(rougeLRecall, recallBeyondPrompt) }

    /// p̄ under the version / p̄ under the base version: 1 means unchanged.
    public var probabilityRatio: Double { probability / baseProbability }

    /// One forget item: its id, the prompt as the user wrote it (the model's conversation
    /// format is applied), and the completion to forget.
    public typealias Item = (id: String, prompt: String, completion: String)

    /// p̄ of each item's completion under `model`: measured once on the base version, then passed
    /// to `measure` for every later version.
    public static func probabilities(_ items: [Item], model: LlamaModel, format: ConversationFormat) throws -> [Double] {
        try AnswerLikelihood.measure(items.map { ($0.prompt, $0.completion) }, model: model, format: format)
            .map(\.probability)
    }

    /// Each item's score under `model`, given the items' p̄ under the base version: the
    /// likelihoods in batched forward passes, then every greedy answer in one batched
    /// generation, before whose passes `betweenPasses` runs (it may throw to cancel).
    public static func measure(_ items: [Item], baseProbabilities: [Double], model: LlamaModel, format: ConversationFormat,
                               maxNewTokens: Int = 64, betweenPasses: () throws -> Void = {}) throws -> [ForgetItemScore] {
        precondition(baseProbabilities.count == items.count, "one base probability per item")
        let probabilities = try probabilities(items, model: model, format: format)
        let recall = try AnswerRecall.measure(items.map { ($0.id, $0.prompt, $0.completion) }, model: model, format: format,
                                              maxNewTokens: maxNewTokens, betweenPasses: betweenPasses)
        return items.indices.map { index in
            let generated = recall.items[index].generated
            return ForgetItemScore(id: items[index].id, rougeLRecall: recall.items[index].recall,
                                   recallBeyondPrompt: RougeL.recall(candidate: generated, reference: items[index].completion,
                                                                     beyond: items[index].prompt),
                                   probability: probabilities[index], baseProbability: baseProbabilities[index], generated: generated)
        }
    }
}

/// When an item counts as forgotten: its greedy answer keeps at most `maxRougeLRecall` of the
/// forgotten answer (`ForgetItemScore.keptRecall`) and the version finds that answer at most
/// `maxProbabilityRatio` times as likely as the base version did. Both must hold. The defaults
/// and the measurements behind them are in docs/dipo.md ("Forget criteria").
public struct ForgetCriteria: Sendable, Codable, Equatable {
    public var maxRougeLRecall: Double
    public var maxProbabilityRatio: Double

    public init(maxRougeLRecall: Double = 0.8, maxProbabilityRatio: Double = 0.2) {
        self.maxRougeLRecall = maxRougeLRecall
        self.maxProbabilityRatio = maxProbabilityRatio
    }

    public func isForgotten(_ score: ForgetItemScore) -> Bool {
        score.keptRecall <= maxRougeLRecall && score.probabilityRatio <= maxProbabilityRatio
    }
}
