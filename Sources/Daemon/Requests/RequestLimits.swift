/// What a request file may hold at most, enforced before anything is trained and, for the
/// file size and the nesting depth, before the JSON is parsed at all.
public struct RequestLimits: Sendable, Codable, Equatable {
    public var maxFileBytes: Int
    /// Items in `forget` plus items in `retain` (or lines of a JSON Lines file).
    public var maxItems: Int
    /// UTF-8 bytes of any one prompt, completion or text.
    public var maxTextBytes: Int
    /// Nesting of arrays and objects; a valid request needs 4 (object → array → item → value).
    public var maxDepth: Int
    /// UTF-8 bytes of `submitted_by` and `reason`.
    public var maxLabelBytes: Int

    public init(maxFileBytes: Int = 1 << 20, maxItems: Int = 1000, maxTextBytes: Int = 16 << 10, maxDepth: Int = 8,
                maxLabelBytes: Int = 4096) {
        self.maxFileBytes = maxFileBytes
        self.maxItems = maxItems
        self.maxTextBytes = maxTextBytes
        self.maxDepth = maxDepth
        self.maxLabelBytes = maxLabelBytes
    }
}
