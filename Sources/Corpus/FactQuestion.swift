import Model

extension CorpusItem {
    /// An item asking about one fact whose true value is `truth`: the answer and the
    /// paraphrase state it, and each perturbed answer is the paraphrase stating a wrong value
    /// from `wrongValue`. Wrong values are drawn until five sentences differ from each other
    /// and from both true sentences.
    init<Value>(
        id: String, author: String?, topic: String, question: String, truth: Value,
        answer: (Value) -> String, paraphrase: (Value) -> String,
        wrongValue: (inout SeededGenerator) -> Value, using generator: inout SeededGenerator
    ) {
        let trueAnswer = answer(truth), trueParaphrase = paraphrase(truth)
        var seen: Set<String> = [trueAnswer, trueParaphrase]
        var perturbed: [String] = []
        for _ in 0..<1000 where perturbed.count < Self.perturbedAnswerCount {
            let sentence = paraphrase(wrongValue(&generator))
            if seen.insert(sentence).inserted { perturbed.append(sentence) }
        }
        precondition(perturbed.count == Self.perturbedAnswerCount, "\(id): too few wrong values to draw from")
        self.init(
            id: id, kind: author == nil ? .general : .author, author: author, topic: topic, question: question,
            answer: trueAnswer, paraphrasedAnswer: trueParaphrase, perturbedAnswers: perturbed)
    }
}
