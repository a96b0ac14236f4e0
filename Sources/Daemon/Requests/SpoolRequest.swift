/// One request file, validated: either items to forget or ids to withdraw.
public enum SpoolRequest: Sendable, Equatable {
    case forget(ForgetRequest)
    case withdraw(WithdrawRequest)

    public var id: String {
        switch self {
        case .forget(let request): request.id
        case .withdraw(let request): request.id
        }
    }

    public var contentHash: String {
        switch self {
        case .forget(let request): request.contentHash
        case .withdraw(let request): request.contentHash
        }
    }
}

/// Something to forget (or to hold on to): a prompt and the completion the model must stop
/// giving, or a text whose every token counts.
public struct RequestItem: Sendable, Equatable, Codable {
    public enum Content: Sendable, Equatable, Codable {
        case completion(prompt: String, completion: String)
        case text(String)
    }

    /// The submitter's id for the item, or one derived from its content.
    public let id: String
    public let content: Content

    public init(id: String, content: Content) {
        self.id = id
        self.content = content
    }
}

/// One line of a retain or utility set.
public enum DataSetItem: Sendable, Equatable {
    case item(RequestItem.Content)
    /// A prompt alone (utility sets): the base version's greedy answer becomes its reference.
    case prompt(String)
}

public struct ForgetRequest: Sendable, Equatable {
    public let id: String
    public let submittedBy: String
    public let reason: String
    public let forget: [RequestItem]
    public let retain: [RequestItem]
    public let options: RequestOptions
    /// The SHA-256 of the file's bytes: a request sent twice under two names is one request.
    public let contentHash: String
}

public struct WithdrawRequest: Sendable, Equatable {
    public let id: String
    public let submittedBy: String
    public let reason: String
    /// Item or request ids whose items stop being re-applied.
    public let withdraw: [String]
    public let contentHash: String
}

/// What a request may choose for its own update, within what the daemon's `RequestPolicy`
/// allows; nil means the daemon's default.
public struct RequestOptions: Sendable, Equatable, Codable {
    public var method: String?
    public var epochs: Int?
    public var learningRate: Double?
    /// The most model utility the update may cost, as a fraction of the base version's.
    public var maxUtilityDrop: Double?

    public init(method: String? = nil, epochs: Int? = nil, learningRate: Double? = nil, maxUtilityDrop: Double? = nil) {
        self.method = method
        self.epochs = epochs
        self.learningRate = learningRate
        self.maxUtilityDrop = maxUtilityDrop
    }
}

/// The bounds the daemon's configuration puts on `RequestOptions`: a request may choose among
/// the allowed methods and may only tighten the rest.
public struct RequestPolicy: Sendable, Equatable, Codable {
    public var allowedMethods: [String]
    public var maxEpochs: Int
    public var maxLearningRate: Double
    public var maxUtilityDrop: Double

    public init(allowedMethods: [String] = ["dipo"], maxEpochs: Int = 10, maxLearningRate: Double = 1e-3, maxUtilityDrop: Double = 0.1) {
        self.allowedMethods = allowedMethods
        self.maxEpochs = maxEpochs
        self.maxLearningRate = maxLearningRate
        self.maxUtilityDrop = maxUtilityDrop
    }
}
