import Model
import Store

/// The answer a version gave to an item when it forgot it, kept in the item's `latest_scores`
/// (`held_answer`) when the gate found it fluent (`AnswerFluency` at least `gate.min_fluency`).
/// With `held_answers` set, later updates train on it as a retain example: with the parent as
/// the objective's reference nothing else held an answer once forgotten, and later versions
/// turned a growing share of them into word salad (docs/dipo.md, "Holding the forgotten
/// answers"); with the base version as reference they stay fluent without it, so it is off by
/// default ("Holding no answers"). It is the answer as recorded then, not the latest one: an
/// answer already drifting would be taught as it is.
enum HeldAnswer {
    static let key = "held_answer"

    /// The held answer `item` keeps, if it is forgotten and has one.
    static func of(_ item: ForgetItemRecord) -> String? {
        guard item.state == .forgotten else { return nil }
        return item.latestScores?[key]?.stringValue
    }

    /// The retain example that holds `item`'s answer: its prompt, answered as it was when forgotten.
    /// A greedy answer decodes with the space a prompt template puts before every answer, which
    /// the template adds again: held with it, the model learned to begin every answer with a
    /// second space.
    static func text(_ item: ForgetItemRecord) -> ItemText? {
        of(item).map { answer in
            let forgotten = ItemText(item)
            return ItemText(prompt: forgotten.prompt, completion: String(answer.drop { $0.isWhitespace }), isPassage: forgotten.isPassage)
        }
    }

    /// The held answer `scores` should keep after a gate: the new greedy answer when this version
    /// forgets the item and the answer is fluent, none when it forgets it with a degenerate one,
    /// and otherwise the one kept before.
    static func updated(earlier: [String: JSONValue]?, forgottenNow: Bool, generated: String, fluency: Double?, minFluency: Double)
        -> JSONValue? {
        guard forgottenNow else { return earlier?[key] }
        guard let fluency, fluency >= minFluency else { return nil }
        return .string(generated)
    }
}
