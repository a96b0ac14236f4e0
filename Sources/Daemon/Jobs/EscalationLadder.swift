import Model
import Unlearning

/// One attempt at a job's requests: which items it trains and with what settings.
public struct EscalationStep: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The job as planned: its requests' items together, with their settings.
        case job
        /// The items the job's version did not forget, in a job of their own, the same settings.
        case alone
        /// Those items with more epochs and a higher learning rate (`escalation`, within `policy`).
        case stronger
        /// Those items with the stronger settings and another method of `policy.allowed_methods`.
        case otherMethod = "other-method"
    }

    public let kind: Kind
    public let settings: JobSettings
}

/// The attempts a request whose items the gate does not forget goes through before it fails.
///
/// Coalesced requests are published as soon as one version forgets all their items, so the
/// requests that missed never hold the others back; their unforgotten items are then trained
/// in a job of their own, first with the same settings, then longer and faster, then with each
/// other allowed method. A job that passes at its first attempt costs what it did before.
/// Measured on the embedded model (docs/benchmarks.md, "lethe bench daemon"): of the requests a
/// 250-item job does not forget, 84–92 % are forgotten alone with the same settings, most of the
/// rest by 10 epochs at 6e-4; 1e-3 (the policy's most) failed more of them. That was before the
/// retain projection, which damps each step: the daemon's jobs now run 10 epochs at 6e-4 and
/// escalate to 1e-3 (docs/dipo.md, "Projecting the step").
struct EscalationLadder {
    let configuration: DaemonConfiguration

    /// The steps after the job as planned with `settings`, in order; none when escalation is off.
    func steps(after settings: JobSettings) -> [EscalationStep] {
        guard configuration.escalation.enabled else { return [] }
        let policy = configuration.policy
        var stronger = settings
        // Never fewer epochs or a lower rate than planned, never beyond what the policy allows.
        stronger.epochs = max(settings.epochs, min(configuration.escalation.epochs, policy.maxEpochs))
        stronger.learningRate = max(settings.learningRate,
                                    min(configuration.escalation.learningRate(after: settings.learningRate), policy.maxLearningRate))
        let otherMethods = policy.allowedMethods.compactMap(UnlearningMethod.init(rawValue:)).filter { $0 != settings.method }
        return [EscalationStep(kind: .alone, settings: settings), EscalationStep(kind: .stronger, settings: stronger)]
            + otherMethods.map { method in
                var changed = stronger
                changed.method = method
                return EscalationStep(kind: .otherMethod, settings: changed)
            }
    }
}

extension EscalationStep {
    /// One attempt at an item as its `latest_scores` keeps it (under "attempts"): what was
    /// tried and the numbers the gate measured, so a failed request's error file explains
    /// every item: as the version is, and under each served type (`served`, by type name).
    func record(attempt: Int, itemsTrained: Int, score: ForgetItemScore, forgotten: Bool, item: String, served: [ServedFormatResult]) -> JSONValue {
        let servedScores = served.compactMap { format in
            format.scores[item].map { score in
                (format.format, JSONValue.object(["rouge_l_recall": .number(score.rougeLRecall),
                                                  "recall_beyond_prompt": .number(score.recallBeyondPrompt),
                                                  "probability_ratio": .number(score.probabilityRatio),
                                                  "forgotten": .bool(!format.unforgotten.contains(item))]))
            }
        }
        var record: [String: JSONValue] = [
            "attempt": .number(Double(attempt)), "step": .string(kind.rawValue), "method": .string(settings.method.rawValue),
            "epochs": .number(Double(settings.epochs)), "learning_rate": .number(settings.learningRate),
            "items_trained": .number(Double(itemsTrained)), "rouge_l_recall": .number(score.rougeLRecall),
            "recall_beyond_prompt": .number(score.recallBeyondPrompt),
            "probability_ratio": .number(score.probabilityRatio), "forgotten": .bool(forgotten)]
        if !servedScores.isEmpty { record["served"] = .object(Dictionary(uniqueKeysWithValues: servedScores)) }
        return .object(record)
    }
}

/// How one attempt at a job's requests ended, for the daemon's ladder.
enum AttemptOutcome {
    /// Every request of the attempt is answered, or queued again (a shutdown, a moved HEAD).
    case ended
    /// These requests miss items and the utility budget held; `head` is the version the next
    /// step starts from (the one just published for the others, or the same parent).
    case missed([JobPlan.Member], head: Int, result: JobResult)
    /// The gate refused the version of a job of several requests as a whole (its utility, its
    /// cost, over-forgotten or degenerate answers): any one of them may be the cause, so they
    /// are tried apart.
    case refused([JobPlan.Member])
}
