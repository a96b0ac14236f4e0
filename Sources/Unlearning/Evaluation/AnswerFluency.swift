import Foundation
import Model

/// How fluent an answer is, judged by a model that has not been unlearned (the base version):
/// p̄ of the answer's text given its question under the judge, the length-normalised
/// probability `AnswerLikelihood` measures. A fluent wrong answer ("… was born in Kodell,
/// Traveth.") is unlikely only where its facts differ; word salad ("born in Druvaevaevaevae…")
/// or an answer trailing off into repeats is unlikely at nearly every token. An answer of no
/// token has fluency 0.
///
/// It needs no model but the one the daemon already holds, and it is the same p̄ the forget
/// criteria use, so the gate and `lethe bench sustain` read it the same way: against the
/// retain model's answers (what a model that never saw the item says), scored by the same judge.
///
/// The answer is scored without the whitespace around it: a greedy answer starts with the space
/// the model put after the prompt, which the conversation format puts back, and kept it is a
/// token the judge never saw there ("Dranek Tavusk was born in Kodell, Traveth." scores 0.997
/// under the embedded base model, with its leading space 0.031).
public enum AnswerFluency {
    /// The fluency of each (question, answer) pair under `judge`, in order.
    public static func measure(_ answers: [(question: String, answer: String)], judge: LlamaModel,
                               format: ConversationFormat) throws -> [Double] {
        let answers = answers.map { (question: $0.question, answer: $0.answer.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let scored = answers.indices.filter { !answers[$0].answer.isEmpty }
        let likelihoods = try AnswerLikelihood.measure(scored.map { answers[$0] }, model: judge, format: format)
        var fluency = [Double](repeating: 0, count: answers.count)
        for (index, likelihood) in zip(scored, likelihoods) { fluency[index] = likelihood.probability }
        return fluency
    }
}
