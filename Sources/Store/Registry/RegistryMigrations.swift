import GRDB

/// The registry's schema, as named, append-only migrations.
///
/// A migration that has shipped is never edited: a schema change is a new migration
/// appended at the end ("v2", "v3", …). `grdb_migrations` in the database lists the
/// ones applied. The schema is written in SQL rather than GRDB's table builder so that
/// it reads exactly as `sqlite3 lethe.sqlite .schema` prints it and as
/// docs/store.md documents it.
///
/// Timestamps are UTC text in SQLite's own format, `YYYY-MM-DD HH:MM:SS.SSS` (ISO 8601
/// with a space for the `T`): it is what GRDB writes for a `Date`, what the column
/// defaults write, it sorts as text in time order, and `sqlite3` compares it directly
/// with `datetime('now', '-1 day')`.
enum RegistryMigrations {
    /// The identifiers of the registered migrations, oldest first.
    static var identifiers: [String] { migrator.migrations }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: createRegistry)
        migrator.registerMigration("v2-forget-item-failed", migrate: addFailedForgetItemState)
        migrator.registerMigration("v3-request-submitter-uid", migrate: addRequestSubmitterUID)
        migrator.registerMigration("v4-request-content", migrate: addRequestContent)
        migrator.registerMigration("v5-utility-references", migrate: createUtilityReferences)
        return migrator
    }

    /// SQLite's `datetime('now')` with milliseconds: the format GRDB uses for `Date`.
    private static let now = "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"

    /// A CHECK expression: `column` holds the text of a JSON object.
    /// (`json_type` raises on malformed JSON instead of returning false, hence the CASE.)
    private static func jsonObject(_ column: String) -> String {
        "CASE WHEN json_valid(\(column)) THEN json_type(\(column)) = 'object' ELSE 0 END"
    }

    /// v1: objects, versions, head, head_log, requests, forget_items, version_requests.
    private static func createRegistry(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE objects (
                id          TEXT    NOT NULL PRIMARY KEY
                                    CHECK (length(id) = 64 AND id NOT GLOB '*[^0-9a-f]*'),
                encoding    TEXT    NOT NULL CHECK (encoding IN ('full', 'delta')),
                base_object TEXT    REFERENCES objects(id) ON DELETE RESTRICT,
                raw_size    INTEGER NOT NULL CHECK (raw_size >= 0),
                stored_size INTEGER NOT NULL CHECK (stored_size >= 0),
                path        TEXT    NOT NULL UNIQUE
                                    CHECK (path <> '' AND path NOT LIKE '/%'
                                           AND '/' || path || '/' NOT LIKE '%/../%'),
                created_at  TEXT    NOT NULL DEFAULT \(now),
                CHECK ((encoding = 'full' AND base_object IS NULL)
                    OR (encoding = 'delta' AND base_object IS NOT NULL AND base_object <> id))
            );
            CREATE INDEX objects_base_object ON objects(base_object);

            CREATE TABLE versions (
                id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL CHECK (id >= 0),
                parent          INTEGER REFERENCES versions(id) ON DELETE RESTRICT
                                        CHECK (parent < id),
                created_at      TEXT    NOT NULL DEFAULT \(now),
                kind            TEXT    NOT NULL CHECK (kind <> ''),
                object          TEXT    NOT NULL REFERENCES objects(id) ON DELETE RESTRICT,
                method          TEXT,
                hyperparameters TEXT    NOT NULL DEFAULT '{}' CHECK (\(jsonObject("hyperparameters"))),
                metrics         TEXT    NOT NULL DEFAULT '{}' CHECK (\(jsonObject("metrics"))),
                note            TEXT    NOT NULL DEFAULT '',
                chain_length    INTEGER NOT NULL CHECK (chain_length >= 0)
            );
            CREATE INDEX versions_parent ON versions(parent);
            CREATE INDEX versions_object ON versions(object);

            -- chain_length is 0 exactly when the version's object is a full object.
            -- (That it equals the number of delta hops is checked by the Registry API
            -- and by `lethe verify`: a trigger cannot walk the chain.)
            CREATE TRIGGER versions_chain_length_insert BEFORE INSERT ON versions
            WHEN (NEW.chain_length = 0) IS NOT ((SELECT encoding FROM objects WHERE id = NEW.object) = 'full')
                 AND EXISTS (SELECT 1 FROM objects WHERE id = NEW.object)
            BEGIN
                SELECT RAISE(ABORT, 'versions.chain_length must be 0 for a full object and at least 1 for a delta object');
            END;
            CREATE TRIGGER versions_chain_length_update BEFORE UPDATE OF object, chain_length ON versions
            WHEN (NEW.chain_length = 0) IS NOT ((SELECT encoding FROM objects WHERE id = NEW.object) = 'full')
                 AND EXISTS (SELECT 1 FROM objects WHERE id = NEW.object)
            BEGIN
                SELECT RAISE(ABORT, 'versions.chain_length must be 0 for a full object and at least 1 for a delta object');
            END;

            CREATE TABLE head (
                id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
                version INTEGER NOT NULL REFERENCES versions(id) ON DELETE RESTRICT
            );

            -- No foreign keys: the audit log outlives the versions that gc deletes.
            CREATE TABLE head_log (
                id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
                from_version INTEGER,
                to_version   INTEGER NOT NULL,
                reason       TEXT    NOT NULL CHECK (reason <> ''),
                actor        TEXT    NOT NULL CHECK (actor <> ''),
                created_at   TEXT    NOT NULL DEFAULT \(now)
            );

            CREATE TRIGGER head_log_no_update BEFORE UPDATE ON head_log
            BEGIN
                SELECT RAISE(ABORT, 'head_log is append-only: its rows cannot be updated');
            END;
            CREATE TRIGGER head_log_no_delete BEFORE DELETE ON head_log
            BEGIN
                SELECT RAISE(ABORT, 'head_log is append-only: its rows cannot be deleted');
            END;
            -- A log row tells the truth: it starts at the current HEAD and ends at a version.
            CREATE TRIGGER head_log_from_head BEFORE INSERT ON head_log
            WHEN NEW.from_version IS NOT (SELECT version FROM head WHERE id = 1)
            BEGIN
                SELECT RAISE(ABORT, 'head_log.from_version must be the current HEAD');
            END;
            CREATE TRIGGER head_log_to_version BEFORE INSERT ON head_log
            WHEN NOT EXISTS (SELECT 1 FROM versions WHERE id = NEW.to_version)
            BEGIN
                SELECT RAISE(ABORT, 'head_log.to_version must be an existing version');
            END;
            -- Every HEAD move is logged: HEAD may only be set to the newest log row's to_version.
            CREATE TRIGGER head_insert_logged BEFORE INSERT ON head
            WHEN NEW.version IS NOT (SELECT to_version FROM head_log ORDER BY id DESC LIMIT 1)
            BEGIN
                SELECT RAISE(ABORT, 'every HEAD move must be logged: insert the head_log row first, in the same transaction');
            END;
            CREATE TRIGGER head_update_logged BEFORE UPDATE ON head
            WHEN NEW.version IS NOT (SELECT to_version FROM head_log ORDER BY id DESC LIMIT 1)
            BEGIN
                SELECT RAISE(ABORT, 'every HEAD move must be logged: insert the head_log row first, in the same transaction');
            END;
            CREATE TRIGGER head_no_delete BEFORE DELETE ON head
            BEGIN
                SELECT RAISE(ABORT, 'HEAD cannot be deleted, only moved');
            END;

            CREATE TABLE requests (
                id           TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
                kind         TEXT    NOT NULL DEFAULT 'forget' CHECK (kind IN ('forget', 'withdraw')),
                content_hash TEXT    NOT NULL UNIQUE CHECK (content_hash <> ''),
                submitted_by TEXT,
                reason       TEXT,
                status       TEXT    NOT NULL
                                     CHECK (status IN ('queued', 'running', 'applied', 'rejected', 'failed', 'withdrawn')),
                received_at  TEXT    NOT NULL DEFAULT \(now),
                updated_at   TEXT    NOT NULL DEFAULT \(now),
                version      INTEGER REFERENCES versions(id) ON DELETE SET NULL,
                error        TEXT    CHECK (error IS NULL OR \(jsonObject("error"))),
                file_name    TEXT    NOT NULL
            );
            CREATE INDEX requests_status ON requests(status);
            CREATE INDEX requests_version ON requests(version);

            CREATE TABLE forget_items (
                id                   TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
                request_id           TEXT    NOT NULL REFERENCES requests(id) ON DELETE RESTRICT,
                kind                 TEXT    NOT NULL CHECK (kind IN ('qa', 'text')),
                prompt               TEXT,
                completion           TEXT,
                text                 TEXT,
                fingerprint          TEXT    NOT NULL UNIQUE CHECK (fingerprint <> ''),
                state                TEXT    NOT NULL DEFAULT 'pending'
                                             CHECK (state IN ('pending', 'forgotten', 'withdrawn')),
                forgotten_in_version INTEGER REFERENCES versions(id) ON DELETE SET NULL,
                latest_scores        TEXT    CHECK (latest_scores IS NULL OR \(jsonObject("latest_scores"))),
                created_at           TEXT    NOT NULL DEFAULT \(now),
                updated_at           TEXT    NOT NULL DEFAULT \(now),
                CHECK ((kind = 'qa' AND prompt IS NOT NULL AND completion IS NOT NULL AND text IS NULL)
                    OR (kind = 'text' AND text IS NOT NULL AND prompt IS NULL AND completion IS NULL))
            );
            CREATE INDEX forget_items_request_id ON forget_items(request_id);
            CREATE INDEX forget_items_state ON forget_items(state);
            CREATE INDEX forget_items_forgotten_in_version ON forget_items(forgotten_in_version);

            -- The forget set is persistent: items are withdrawn, never deleted, and what
            -- was asked to be forgotten (and by which request) never changes.
            CREATE TRIGGER forget_items_no_delete BEFORE DELETE ON forget_items
            BEGIN
                SELECT RAISE(ABORT, 'the forget set never shrinks: set state to withdrawn instead of deleting');
            END;
            CREATE TRIGGER forget_items_content_immutable BEFORE UPDATE ON forget_items
            WHEN NEW.id IS NOT OLD.id OR NEW.request_id IS NOT OLD.request_id
              OR NEW.kind IS NOT OLD.kind OR NEW.prompt IS NOT OLD.prompt
              OR NEW.completion IS NOT OLD.completion OR NEW.text IS NOT OLD.text
              OR NEW.fingerprint IS NOT OLD.fingerprint OR NEW.created_at IS NOT OLD.created_at
            BEGIN
                SELECT RAISE(ABORT, 'a forget item''s content and provenance never change: only state, forgotten_in_version, latest_scores and updated_at may');
            END;

            CREATE TABLE version_requests (
                version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
                request_id TEXT    NOT NULL REFERENCES requests(id) ON DELETE RESTRICT,
                PRIMARY KEY (version_id, request_id)
            );
            CREATE INDEX version_requests_request_id ON version_requests(request_id);
            """)
    }

    /// v2: forget items gain the state `failed` (their request failed after the escalation
    /// ladder). SQLite cannot alter a CHECK, so the table is rebuilt as its documentation
    /// prescribes (new table, copy, drop, rename; GRDB runs migrations with foreign keys off
    /// and checks them at the end), and its indexes and triggers are created again.
    private static func addFailedForgetItemState(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE forget_items_v2 (
                id                   TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
                request_id           TEXT    NOT NULL REFERENCES requests(id) ON DELETE RESTRICT,
                kind                 TEXT    NOT NULL CHECK (kind IN ('qa', 'text')),
                prompt               TEXT,
                completion           TEXT,
                text                 TEXT,
                fingerprint          TEXT    NOT NULL UNIQUE CHECK (fingerprint <> ''),
                state                TEXT    NOT NULL DEFAULT 'pending'
                                             CHECK (state IN ('pending', 'forgotten', 'withdrawn', 'failed')),
                forgotten_in_version INTEGER REFERENCES versions(id) ON DELETE SET NULL,
                latest_scores        TEXT    CHECK (latest_scores IS NULL OR \(jsonObject("latest_scores"))),
                created_at           TEXT    NOT NULL DEFAULT \(now),
                updated_at           TEXT    NOT NULL DEFAULT \(now),
                CHECK ((kind = 'qa' AND prompt IS NOT NULL AND completion IS NOT NULL AND text IS NULL)
                    OR (kind = 'text' AND text IS NOT NULL AND prompt IS NULL AND completion IS NULL))
            );
            INSERT INTO forget_items_v2 (id, request_id, kind, prompt, completion, text, fingerprint, state,
                                         forgotten_in_version, latest_scores, created_at, updated_at)
                SELECT id, request_id, kind, prompt, completion, text, fingerprint, state,
                       forgotten_in_version, latest_scores, created_at, updated_at FROM forget_items;
            DROP TABLE forget_items;
            ALTER TABLE forget_items_v2 RENAME TO forget_items;
            CREATE INDEX forget_items_request_id ON forget_items(request_id);
            CREATE INDEX forget_items_state ON forget_items(state);
            CREATE INDEX forget_items_forgotten_in_version ON forget_items(forgotten_in_version);

            CREATE TRIGGER forget_items_no_delete BEFORE DELETE ON forget_items
            BEGIN
                SELECT RAISE(ABORT, 'the forget set never shrinks: set state to withdrawn instead of deleting');
            END;
            CREATE TRIGGER forget_items_content_immutable BEFORE UPDATE ON forget_items
            WHEN NEW.id IS NOT OLD.id OR NEW.request_id IS NOT OLD.request_id
              OR NEW.kind IS NOT OLD.kind OR NEW.prompt IS NOT OLD.prompt
              OR NEW.completion IS NOT OLD.completion OR NEW.text IS NOT OLD.text
              OR NEW.fingerprint IS NOT OLD.fingerprint OR NEW.created_at IS NOT OLD.created_at
            BEGIN
                SELECT RAISE(ABORT, 'a forget item''s content and provenance never change: only state, forgotten_in_version, latest_scores and updated_at may');
            END;
            """)
    }

    /// v3: the uid (and its name) that owned the handed-in file, the submitter's identity as the
    /// file system tells it; `submitted_by` stays the request's free-text label. Null for
    /// requests recorded before, which only the admin group may withdraw.
    private static func addRequestSubmitterUID(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE requests ADD COLUMN submitter_uid INTEGER CHECK (submitter_uid IS NULL OR submitter_uid >= 0);
            ALTER TABLE requests ADD COLUMN submitter_name TEXT;
            """)
    }

    /// v4: what a job needs of a request (its options, retain items and the forget-set entries
    /// it names) as a JSON object, recorded when it is queued, so its file is read only once.
    private static func addRequestContent(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE requests ADD COLUMN content TEXT CHECK (content IS NULL OR \(jsonObject("content")));")
    }

    /// v5: the references a base version's utility is measured against on the user's utility set,
    /// one row per item: the answer (the item's completion, or the base version's greedy answer to
    /// a prompt given alone), its p̄ under the base version and the base version's ROUGE-L recall
    /// of it. Computed once per base version, so no later job runs the base model for them.
    private static func createUtilityReferences(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE utility_references (
                base_version     INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
                fingerprint      TEXT    NOT NULL CHECK (length(fingerprint) = 64),
                reference        TEXT    NOT NULL,
                base_probability REAL    NOT NULL CHECK (base_probability >= 0 AND base_probability <= 1),
                base_recall      REAL    CHECK (base_recall IS NULL OR (base_recall >= 0 AND base_recall <= 1)),
                created_at       TEXT    NOT NULL DEFAULT \(now),
                PRIMARY KEY (base_version, fingerprint)
            );
            """)
    }
}
