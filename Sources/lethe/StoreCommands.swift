import ArgumentParser
import Foundation
import Model
import Store

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a store whose version 0 is a Hugging Face model folder or a GGUF file.")
    @OptionGroup var options: StoreOptions
    @Option(help: "The model folder (config.json, tokenizer files, safetensors weights) or a GGUF file, converted on import.")
    var model: String
    @Option(help: "zstd level for objects.")
    var level: Int32 = CompressionSettings().level
    @Option(help: "Longest delta chain before a full keyframe.")
    var keyframeInterval = 8

    func run() throws {
        let settings = StoreSettings(compression: CompressionSettings(level: level), keyframeInterval: keyframeInterval)
        let source = try ModelSourceFolder(source: URL(fileURLWithPath: model))
        defer { source.remove() }
        let store = try CheckpointStore.create(at: options.root, importing: source.folder, source: URL(fileURLWithPath: model).path, settings: settings)
        let version = try store.registry.version(try store.head())!
        if options.json { return print(try encodeJSON(version)) }
        print("created \(options.store) with version 0 from \(model) (object \(version.object.prefix(12)))")
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every version, newest first, and HEAD, with the bytes each version's object takes and the store's total.")
    @OptionGroup var options: StoreOptions

    struct Output: Encodable {
        let head: Int?
        let versions: [Entry]
        let store: StoreUsage.Total
    }

    /// A version's fields, and its object's encoding and bytes on disk.
    struct Entry: Encodable {
        let version: VersionRecord
        let usage: StoreUsage.Version

        private enum CodingKeys: String, CodingKey { case encoding, storedBytes }

        func encode(to encoder: Encoder) throws {
            try version.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(usage.encoding, forKey: .encoding)
            try container.encode(usage.storedBytes, forKey: .storedBytes)
        }
    }

    func run() throws {
        let store = try options.open()
        // One snapshot, so HEAD is always among the versions listed with it.
        let (head, versions, usage) = try store.registry.read { (try $0.head(), try $0.versions(), try store.usage($0)) }
        let usages = Dictionary(uniqueKeysWithValues: usage.versions.map { ($0.id, $0) })
        let entries = versions.reversed().compactMap { version in usages[version.id].map { Entry(version: version, usage: $0) } }
        if options.json { return print(try encodeJSON(Output(head: head, versions: entries, store: usage.total))) }
        printColumns(["", "VERSION", "PARENT", "KIND", "CREATED", "STORED", "METHOD", "NOTE"], entries.map { entry in
            let version = entry.version
            return [version.id == head ? "*" : "", String(version.id), version.parent.map(String.init) ?? "-",
                    version.kind.rawValue, relativeTime(version.createdAt),
                    "\(humanBytes(entry.usage.storedBytes)) \(entry.usage.encoding.rawValue)", version.method ?? "-", version.note]
        })
        let total = usage.total
        print("\nstore: \(humanBytes(total.totalBytes)) in all: \(total.objects) \(total.objects == 1 ? "object" : "objects") "
            + "\(humanBytes(total.objectBytes)), registry \(humanBytes(total.registryBytes)), model files \(humanBytes(total.modelFileBytes))")
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one version: its object, metadata and the requests it served.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The version (default: HEAD).")
    var version: Int?

    struct Output: Encodable {
        let version: VersionRecord
        let object: ObjectRecord?
        let isHead: Bool
        let requests: [String]
    }

    func run() throws {
        let store = try options.open()
        let id = try version ?? store.head()
        guard let record = try store.registry.version(id) else { throw StoreError.unknownVersion(id) }
        let object = try store.registry.object(id: record.object)
        let output = Output(version: record, object: object, isHead: try store.registry.head() == id,
                            requests: try store.registry.requests(servedBy: id).map(\.id))
        if options.json { return print(try encodeJSON(output)) }
        var rows: [(String, String)] = [
            ("version", "\(id)\(output.isHead ? " (HEAD)" : "")"),
            ("parent", record.parent.map(String.init) ?? "-"),
            ("kind", record.kind.rawValue),
            ("created", "\(LetheJSON.timestamp(record.createdAt)) (\(relativeTime(record.createdAt)))"),
            ("object", record.object),
        ]
        if let object {
            rows.append(("encoding", object.encoding.rawValue + (object.baseObject.map { " against \($0.prefix(12))" } ?? "")))
            rows.append(("size", "\(humanBytes(object.rawSize)) raw, \(humanBytes(object.storedSize)) stored"))
        }
        rows.append(("method", record.method ?? "-"))
        rows.append(("hyperparameters", try compactJSON(record.hyperparameters)))
        rows.append(("metrics", try compactJSON(record.metrics)))
        rows.append(("requests", output.requests.isEmpty ? "-" : output.requests.joined(separator: ", ")))
        rows.append(("note", record.note.isEmpty ? "-" : record.note))
        printTable(rows)
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compare two versions tensor by tensor, with their metrics.")
    @OptionGroup var options: StoreOptions
    @Argument var from: Int
    @Argument var to: Int

    func run() throws {
        let diff = try options.open().diff(from, to)
        if options.json { return print(try encodeJSON(diff)) }
        printColumns(["TENSOR", "REL L2", "MAX |Δ|"], diff.tensors.map {
            [$0.name, String(format: "%.3e", $0.relativeL2), String(format: "%.3e", $0.maxAbsChange)]
        })
        print("\(diff.changedTensorCount) of \(diff.tensors.count) tensors changed")
        print("metrics \(from): \(try compactJSON(diff.metricsFrom))")
        print("metrics \(to): \(try compactJSON(diff.metricsTo))")
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move HEAD to an earlier version; nothing is deleted.")
    @OptionGroup var options: StoreOptions
    @Argument var version: Int
    @Option(help: "Why (kept in the audit log).")
    var reason: String

    struct Output: Encodable {
        let from: Int?
        let head: Int
        /// Forget-set items no version in the new HEAD's lineage forgot: the next job re-applies them.
        let reopened: [String]
    }

    func run() throws {
        let store = try options.open()
        let previous = try store.registry.head()
        let reopened = try store.rollback(to: version, reason: reason).map(\.id)
        if options.json { return print(try encodeJSON(Output(from: previous, head: version, reopened: reopened))) }
        print("HEAD moved from \(previous.map(String.init) ?? "-") to \(version)")
        if !reopened.isEmpty { print("\(reopened.count) forget-set items are pending again; the daemon's next job re-applies them") }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a version as a model folder that transformers loads, or as a GGUF file that llama.cpp serves.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The version (default: HEAD).")
    var version: Int?
    @Option(help: "folder (config, tokenizer, Float32 safetensors) or gguf.")
    var format = "folder"
    @Option(help: "The GGUF type: \(GGUFServedType.allCases.map(\.name).joined(separator: ", ")).")
    var type = GGUFServedType.f16.name
    @Option(name: [.customLong("out"), .customLong("output")], help: "The folder (or, with --format gguf, the file) to write.")
    var out: String

    func validate() throws {
        guard ["folder", "gguf"].contains(format) else { throw ValidationError("--format must be folder or gguf, not '\(format)'") }
        guard GGUFServedType(name: type) != nil else {
            throw ValidationError("--type must be one of \(GGUFServedType.allCases.map(\.name).joined(separator: ", ")), not '\(type)'")
        }
    }

    func run() throws {
        let store = try options.open()
        let id = try version ?? store.head()
        let destination = URL(fileURLWithPath: out)
        if format == "gguf" {
            try store.exportGGUF(version: id, type: GGUFServedType(name: type)!, to: destination)
        } else {
            try store.export(version: id, to: destination)
        }
        if options.json { return print(try encodeJSON(["version": id])) }
        print("exported version \(id) to \(out)\(format == "gguf" ? " as GGUF \(type)" : "")")
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode every object and check its hash, the chains, HEAD, and orphans; warn about store files others could read.")
    @OptionGroup var options: StoreOptions
    @Flag(help: "Remove orphans and temporary files left by a crash.")
    var repair = false

    func run() throws {
        let report = try options.open().verify(repair: repair)
        if options.json {
            print(try encodeJSON(report))
        } else {
            for item in report.repaired { print("removed \(item)") }
            for problem in report.problems { print("problem: \(problem)") }
            for warning in report.warnings { print("warning: \(warning)") }
            let warnings = report.warnings.isEmpty ? "" : ", \(report.warnings.count) \(report.warnings.count == 1 ? "warning" : "warnings")"
            print("\(report.versionsChecked) versions, \(report.objectsChecked) objects checked: \(report.isHealthy ? "ok" : "\(report.problems.count) problems")\(warnings)")
        }
        if !report.isHealthy { throw ExitCode(1) }
    }
}

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Delete old versions, keeping HEAD and versions open requests name, and say what that freed.")
    @OptionGroup var options: StoreOptions
    @Option(help: "Keep the N newest versions.")
    var keepLast: Int?
    @Option(help: "Keep these versions, e.g. 0,4,7.")
    var keepVersions: String?
    @Flag(help: "Only say which versions and objects gc would delete or re-encode and the bytes it would free; change nothing.")
    var dryRun = false

    func validate() throws {
        if let keepLast, keepLast < 0 { throw ValidationError("--keep-last must be at least 0") }
        if keepLast == nil && keepVersions == nil { throw ValidationError("give --keep-last N or --keep-versions LIST") }
    }

    func run() throws {
        let report = try options.open().garbageCollect(keepLast: keepLast, keepVersions: try keepVersions.map(parseVersionList) ?? [],
                                                        dryRun: dryRun)
        if options.json { return print(try encodeJSON(report)) }
        guard !report.deletedVersions.isEmpty else {
            return print("nothing to delete: every version is kept (HEAD, the ones asked for, those open requests name)")
        }
        let would = { (past: String, present: String) in dryRun ? "would \(present)" : past }
        print("\(would("deleted", "delete")) versions \(report.deletedVersions.map(String.init).joined(separator: ", "))")
        for object in report.removedObjects {
            let users = object.versions.isEmpty ? "no version names it" : "named by version \(object.versions.map(String.init).joined(separator: ", "))"
            print("  \(would("removed", "remove")) object \(object.id.prefix(12)) (\(object.encoding.rawValue), \(humanBytes(object.storedBytes))): \(users)")
        }
        for object in report.reencodedObjects {
            print("  \(would("re-encoded", "re-encode")) object \(object.id.prefix(12)) of version \(object.versions.map(String.init).joined(separator: ", ")) "
                + "as full: \(humanBytes(object.bytesBefore)) delta → \(humanBytes(object.bytesAfter))")
        }
        for file in report.removedFiles { print("  \(would("removed", "remove")) \(file.path) (\(humanBytes(file.bytes)), left by a crash)") }
        let freed = report.bytesFreed >= 0 ? "\(would("freed", "free")) \(humanBytes(report.bytesFreed))"
            : "\(would("took", "take")) \(humanBytes(-report.bytesFreed)) more: the full objects written outweigh what is removed"
        print(freed + (dryRun ? "; nothing was changed (--dry-run)" : ""))
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a model folder's weights as a new version on top of HEAD.",
        discussion: "The folder must hold the same architecture as the store (same tensor names and shapes), e.g. a copy fine-tuned elsewhere.")
    @OptionGroup var options: StoreOptions
    @Option(help: "The model folder whose weights become the new version.")
    var model: String
    @Option(help: "A note kept with the version.")
    var note = ""

    func run() throws {
        let store = try options.open()
        installStallHook(on: store)
        let imported = try ModelFolder.load(URL(fileURLWithPath: model))
        let expected = ParameterLayout(config: try store.config())
        guard imported.layout.tensors.map(\.shape) == expected.tensors.map(\.shape),
              imported.layout.tensors.map(\.name) == expected.tensors.map(\.name)
        else { throw StoreError.invalidArgument("\(model) holds a different architecture than the store (tensor names or shapes differ)") }
        let head = try store.head()
        let version = try store.commit(imported, CommitDetails(kind: "import", note: note.isEmpty ? "imported from \(model)" : note,
                                                               reason: "import"), parent: head, expectedHead: head)
        if options.json { return print(try encodeJSON(version)) }
        print("published version \(version.id) (parent \(head)) from \(model)")
    }
}

/// Fault-injection hook for crash tests (`lethe import`, `lethe daemon`): with LETHE_TEST_STALL_AT=STEP the process stops
/// at that publishing step (e.g. `object.temporaryWritten`, `registryCommitted`) and waits
/// to be killed, so a test can SIGKILL it mid-write. Unset in normal use.
func installStallHook(on store: CheckpointStore) {
    guard let target = ProcessInfo.processInfo.environment["LETHE_TEST_STALL_AT"] else { return }
    store.faultInjection = { step in
        let name: String
        switch step {
        case .object(let fileStep): name = "object.\(fileStep.rawValue)"
        case .registryCommitted: name = "registryCommitted"
        }
        guard name == target else { return }
        FileHandle.standardError.write(Data("stalled at \(name)\n".utf8))
        while true { sleep(3600) }
    }
}
