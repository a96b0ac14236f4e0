/// What `gc` removed, re-encoded and freed, or with `dryRun` what it would: the same
/// numbers, since the preview encodes every re-encoded object as gc would.
public struct GarbageCollectionReport: Encodable, Sendable, Equatable {
    /// An object gc deletes: its row and its file.
    public struct RemovedObject: Codable, Sendable, Equatable {
        public var id: String
        public var encoding: ObjectEncoding
        public var storedBytes: Int
        /// The deleted versions that named it (none for a base only deltas needed, or an
        /// object no version needed already).
        public var versions: [Int]
    }

    /// A kept object whose delta chain ran through a removed one, stored again as a full object.
    public struct ReencodedObject: Codable, Sendable, Equatable {
        public var id: String
        /// The kept versions that name it.
        public var versions: [Int]
        /// Its delta file, which gc deletes.
        public var bytesBefore: Int
        /// Its full object, which gc writes.
        public var bytesAfter: Int
    }

    /// A file a crash left in `objects/` (a temporary file, an object no row names).
    public struct RemovedFile: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int
    }

    public var dryRun: Bool
    public var deletedVersions: [Int] = []
    /// By the first version that named each, then by id.
    public var removedObjects: [RemovedObject] = []
    /// Nearest to a keyframe first.
    public var reencodedObjects: [ReencodedObject] = []
    /// By path.
    public var removedFiles: [RemovedFile] = []

    /// What disappears from disk less what re-encoding adds: negative when the full objects
    /// gc writes outweigh what it removes. (The registry file does not shrink: SQLite reuses
    /// the pages of deleted rows.)
    public var bytesFreed = 0

    public init(dryRun: Bool) {
        self.dryRun = dryRun
    }
}
