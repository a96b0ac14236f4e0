import Foundation
import GRDB
import Model

/// The store's SQLite registry (`lethe.sqlite`): objects, versions, HEAD and its audit
/// log, requests and the forget set. docs/store.md documents the tables.
///
/// Every method runs in one transaction: a change is whole or absent, never half-done.
/// Several changes that must land together go through ``transaction(_:)``. The database
/// is a GRDB `DatabasePool` in WAL mode: readers (in this process or another) see the
/// last committed state and never block the writer; writers in different processes take
/// turns, each waiting up to the busy timeout for the other.
///
/// Errors are ``RegistryError``s; SQLite's own refusals come as
/// ``RegistryError/database(message:)`` and ``RegistryError/busy(path:timeout:)``.
public final class Registry: Sendable {
    /// The database file.
    public let path: String
    /// How long a write waits for another connection's write to finish before failing.
    public let busyTimeout: TimeInterval
    let pool: DatabasePool

    /// Opens the registry at `path`, creating the file and its schema when absent and
    /// applying the migrations it lacks. The directory must exist.
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        self.path = path
        self.busyTimeout = busyTimeout
        // SQLite would create the file 0644 less the umask, and gives the -wal and -shm
        // files the database file's mode: creating it private first makes all three private.
        do {
            try StoreFileModes.createFileIfAbsent(path)
        } catch let error as FileSystemError {
            throw RegistryError.cannotOpen(path: path, reason: error.reason)
        }

        var configuration = Configuration()
        configuration.label = "Lethe.Registry"
        // Foreign keys are off by default in SQLite; GRDB turns them on for every
        // connection, and we say so here rather than rely on the default.
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        pool = try Self.openPool(path: path, configuration: configuration, busyTimeout: busyTimeout)

        // Durability. The pool opens in WAL mode with `synchronous = NORMAL` on the writer
        // connection (GRDB sets it after the preparation functions run, so it has to be
        // changed here). In WAL mode NORMAL skips the fsync of the WAL at each commit: the
        // database stays consistent after a power cut, but the last commits may be lost.
        // For Lethe a commit is a published version, a HEAD move or a request marked
        // applied; once the daemon has written the result file and renamed the request to
        // done/, losing that commit would make the registry contradict the spool (and could
        // apply a request twice). FULL makes each commit durable when it returns; it costs
        // one fsync of the small WAL per commit, nothing next to the fsync of the object
        // file and the training job that precede a publication.
        try mapErrors {
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        try migrate()
    }

    /// Opens the pool. Opening a new file sets up WAL mode, which briefly needs the file
    /// to itself; when another process opens the same new file at that moment SQLite says
    /// "database is locked" without waiting, so the open is retried until the busy timeout.
    private static func openPool(path: String, configuration: Configuration, busyTimeout: TimeInterval) throws
        -> DatabasePool
    {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError {
                let busy = error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
                if busy, Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.01)
                    continue
                }
                if busy { throw RegistryError.busy(path: path, timeout: busyTimeout) }
                throw RegistryError.cannotOpen(path: path, reason: error.message ?? error.description)
            }
        }
    }

    /// Applies the migrations the database lacks, refusing a database of a newer Lethe.
    private func migrate() throws {
        let migrator = RegistryMigrations.migrator
        try mapErrors {
            let applied = try pool.read { try migrator.appliedIdentifiers($0) }
            let unknown = applied.subtracting(migrator.migrations)
            if !unknown.isEmpty {
                throw RegistryError.schemaTooNew(path: path, unknownMigrations: unknown.sorted())
            }
            // Two processes opening a new store at once can both find a migration missing;
            // the second one's transaction then fails (its tables exist). It retries, and
            // the retry sees the migration applied.
            var attempt = 1
            while true {
                do {
                    try migrator.migrate(pool)
                    return
                } catch {
                    if try pool.read(migrator.hasCompletedMigrations) { return }
                    if attempt == 3 { throw error }
                    attempt += 1
                }
            }
        }
    }

    /// Runs `body` in one write transaction: everything it does is committed together
    /// when it returns, and nothing of it when it throws. The ``RegistryTransaction`` is
    /// valid only inside `body`.
    @discardableResult
    public func transaction<T>(_ body: (RegistryTransaction) throws -> T) throws -> T {
        try mapErrors {
            try pool.write { db in try body(RegistryTransaction(db: db)) }
        }
    }

    /// Runs `body` on a read-only snapshot of the last committed state: several reads that
    /// must agree with each other (a version, its requests and HEAD) see one state, and
    /// do not wait for a writer. The writing methods of the transaction throw here.
    public func read<T>(_ body: (RegistryTransaction) throws -> T) throws -> T {
        try mapErrors {
            try pool.read { db in try body(RegistryTransaction(db: db)) }
        }
    }

    /// Closes the database connections; any later call throws.
    public func close() throws {
        try mapErrors { try pool.close() }
    }

    // MARK: - Diagnostics (for `lethe verify`)

    /// The identifiers of the migrations applied to the database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try mapErrors { try pool.read { try RegistryMigrations.migrator.appliedMigrations($0) } }
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound database file, else SQLite's findings.
    public func integrityCheck() throws -> [String] {
        try mapErrors { try pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } }
    }

    /// `PRAGMA foreign_key_check`, one sentence per row that names a missing parent.
    public func foreignKeyViolations() throws -> [String] {
        try mapErrors {
            try pool.read { db in
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                    let table: String = row[0]
                    let rowID: Int64? = row[1]
                    let parent: String = row[2]
                    return "\(table) row \(rowID.map(String.init) ?? "?") names a missing \(parent) row"
                }
            }
        }
    }

    // MARK: - Internal

    /// The value of a PRAGMA on the writer connection (synchronous and busy_timeout are
    /// per connection).
    func pragma(_ name: String) throws -> String? {
        precondition(name.allSatisfy { $0.isLetter || $0 == "_" }, "not a pragma name: \(name)")
        return try mapErrors {
            try pool.writeWithoutTransaction { db in
                try Row.fetchOne(db, sql: "PRAGMA \(name)").map { Self.text(of: $0[0]) }
            }
        }
    }

    /// Runs SQL in a write transaction, as the sqlite3 shell would (tests use it to
    /// check what the schema itself refuses).
    func execute(sql: String) throws {
        try mapErrors { try pool.write { try $0.execute(sql: sql) } }
    }

    /// The first column of each row a query returns, as text (NULL as "NULL").
    func strings(sql: String) throws -> [String] {
        try mapErrors {
            try pool.read { db in
                try Row.fetchAll(db, sql: sql).map { Self.text(of: $0[0]) }
            }
        }
    }

    private static func text(of value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return "NULL"
        case .int64(let integer): return String(integer)
        case .double(let double): return String(double)
        case .string(let string): return string
        case .blob(let data): return data.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Turns GRDB's errors into ``RegistryError``s, so callers never see GRDB types.
    func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                throw RegistryError.busy(path: path, timeout: busyTimeout)
            case .SQLITE_FULL, .SQLITE_IOERR:
                throw RegistryError.storage(path: path, message: error.message ?? error.description)
            default:
                throw RegistryError.database(message: error.message ?? error.description)
            }
        }
    }
}

/// Registry operations inside one transaction (``Registry/transaction(_:)``, or a
/// read-only ``Registry/read(_:)``); the same operations as ``Registry``'s methods, which
/// each run one of them in a transaction of its own. Valid only inside the closure it
/// was handed to.
public struct RegistryTransaction {
    let db: Database
}
