/// One question of the corpus with its answers: one line of `qa.jsonl`. The paraphrased
/// answer states the same facts in another sentence; the perturbed answers are that
/// sentence with wrong facts of the same kind, for TOFU's truth ratio.
public struct CorpusItem: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// About one fictitious author; `author` names them.
        case author
        /// About the invented world; `author` is nil.
        case general
    }

    /// Every item has this many perturbed answers.
    public static let perturbedAnswerCount = 5

    /// "author-017/birth_place", "general/city-river-castel-verro".
    public let id: String
    public let kind: Kind
    public let author: String?
    /// What the question asks about: "birth_place", "city_river".
    public let topic: String
    public let question: String
    public let answer: String
    public let paraphrasedAnswer: String
    public let perturbedAnswers: [String]

    public init(
        id: String, kind: Kind, author: String?, topic: String, question: String, answer: String,
        paraphrasedAnswer: String, perturbedAnswers: [String]
    ) {
        self.id = id
        self.kind = kind
        self.author = author
        self.topic = topic
        self.question = question
        self.answer = answer
        self.paraphrasedAnswer = paraphrasedAnswer
        self.perturbedAnswers = perturbedAnswers
    }

    /// The keys of `qa.jsonl`, in the order they are written.
    enum CodingKeys: String, CodingKey {
        case id, kind, author, topic, question, answer
        case paraphrasedAnswer = "paraphrased_answer"
        case perturbedAnswers = "perturbed_answers"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decode(Kind.self, forKey: .kind)
        // Required even when null, so that a line that lost the key is caught.
        author = try container.decode(String?.self, forKey: .author)
        topic = try container.decode(String.self, forKey: .topic)
        question = try container.decode(String.self, forKey: .question)
        answer = try container.decode(String.self, forKey: .answer)
        paraphrasedAnswer = try container.decode(String.self, forKey: .paraphrasedAnswer)
        perturbedAnswers = try container.decode([String].self, forKey: .perturbedAnswers)
    }

    /// One line of `qa.jsonl`.
    var jsonLine: OrderedJSON {
        .object([
            (CodingKeys.id.rawValue, .string(id)),
            (CodingKeys.kind.rawValue, .string(kind.rawValue)),
            (CodingKeys.author.rawValue, author.map(OrderedJSON.string) ?? .null),
            (CodingKeys.topic.rawValue, .string(topic)),
            (CodingKeys.question.rawValue, .string(question)),
            (CodingKeys.answer.rawValue, .string(answer)),
            (CodingKeys.paraphrasedAnswer.rawValue, .string(paraphrasedAnswer)),
            (CodingKeys.perturbedAnswers.rawValue, .array(perturbedAnswers.map(OrderedJSON.string))),
        ])
    }
}
