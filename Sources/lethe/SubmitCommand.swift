import ArgumentParser
import Daemon
import Foundation
import Model
import Store

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a request file and hand it to the daemon's spool.",
        discussion: """
            Checks FILE (or standard input, '-') as the daemon will (docs/requests.md), then writes it into \
            SPOOL/tmp/ and renames it into SPOOL/incoming/, so the daemon only ever sees complete files. Prints \
            the request id. A file the daemon would refuse is refused here, with the field and the reason, and \
            nothing is handed in.
            """
    )

    @Argument(help: "The request file (JSON, or JSON Lines when it ends in .jsonl), or '-' for standard input.")
    var file: String
    @Option(help: "The spool folder the daemon serves (default: the configuration's, else ./spool).")
    var spool: String?
    @Option(help: "The daemon's configuration file: its spool, limits and policy apply.")
    var config: String?
    @Flag(help: "Follow the request to its answer with a progress bar; exit 1 when it failed.")
    var wait = false
    @Flag(help: "Standard input is JSON Lines (one item per line).")
    var jsonl = false
    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Result: Encodable {
        let requestId: String
        let kind: String
        let items: Int
        let spoolFile: String
    }

    func run() throws {
        let configuration = try daemonConfiguration(config)
        let spool = self.spool ?? configuration.spool
        let parser = RequestParser(limits: configuration.limits, policy: configuration.policy)
        let bytes: [UInt8]
        if file == "-" {
            bytes = Array(FileHandle.standardInput.readData(ofLength: parser.limits.maxFileBytes + 1))
        } else {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
            defer { try? handle.close() }
            bytes = Array(try handle.read(upToCount: parser.limits.maxFileBytes + 1) ?? Data())
        }
        let isLines = jsonl || file.hasSuffix(".jsonl")
        let name = file == "-" ? (isLines ? "stdin.jsonl" : "stdin.json") : (file as NSString).lastPathComponent
        let request = try parser.parse(bytes, fileName: name)
        let target = Spool(root: URL(fileURLWithPath: spool))
        // The daemon makes its spool (owned by it, with its modes); a submitter only hands files in.
        guard FileManager.default.fileExists(atPath: target.url(.incoming).path) else {
            throw ValidationError("\(spool) is not a spool (no incoming/): the daemon creates it when it starts")
        }
        let handedIn = try target.submit(bytes, extension: isLines ? "jsonl" : "json")
        let (kind, items): (String, Int)
        switch request {
        case .forget(let forget): (kind, items) = ("forget", forget.forget.count)
        case .withdraw(let withdraw): (kind, items) = ("withdraw", withdraw.withdraw.count)
        }
        if !json || !wait {
            if json {
                print(try encodeJSON(Result(requestId: request.id, kind: kind, items: items, spoolFile: "incoming/\(handedIn)")))
            } else {
                print(request.id)
                FileHandle.standardError.write(Data("handed in as \(spool)/incoming/\(handedIn): \(kind), \(items) \(items == 1 ? "item" : "items")\n".utf8))
            }
        }
        if wait { try waitForAnswer(handedIn, spool: target, requestID: request.id, store: configuration.store) }
    }

    /// Follows the daemon until the request file is answered in done/ or failed/, then prints
    /// the answer (its report as JSON with --json).
    private func waitForAnswer(_ name: String, spool: Spool, requestID: String, store: String) throws {
        let follower = JobFollower(spool: spool.root)
        var warned = false, noDaemonSince: Date?
        var answered = spool.answerFolder(of: name)
        while answered == nil {
            let status = follower.follow { _ in spool.answerFolder(of: name) != nil }
            noDaemonSince = status?.isServing ?? false ? nil : noDaemonSince ?? Date()
            answered = spool.answerFolder(of: name)
            guard answered == nil else { break }
            // A daemon that is just starting gets a few seconds before the user is told.
            if let since = noDaemonSince, Date().timeIntervalSince(since) > 5, !warned {
                FileHandle.standardError.write(Data("waiting: no daemon serves \(spool.root.path) now; the request waits in the spool\n".utf8))
                warned = true
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        let folder = answered!
        let isFailure = folder == .failed
        let reportURL = spool.reportURL(name, in: folder)
        let report = try Data(contentsOf: reportURL)
        let answer = (try? JSONDecoder().decode(JSONValue.self, from: report))?.objectValue ?? [:]
        if let original = answer["duplicate_of"]?.stringValue, let status = answer["status"]?.stringValue,
           status == RequestRecord.Status.queued.rawValue || status == RequestRecord.Status.running.rawValue {
            return try follow(original: original, store: store)
        }
        if json {
            print(String(decoding: report, as: UTF8.self), terminator: "")
        } else {
            let status = answer["status"]?.stringValue ?? "?"
            var rows: [(String, String)] = [("request", requestID), ("status", status)]
            if let version = answer["version"]?.intValue { rows.append(("version", "\(version)")) }
            if let items = answer["items"]?.arrayValue {
                let forgotten = items.filter { $0.objectValue?["state"]?.stringValue == "forgotten" }.count
                rows.append(("items", "\(forgotten) of \(items.count) forgotten"))
            }
            if let message = answer["error"]?.objectValue?["message"]?.stringValue ?? answer["reason"]?.stringValue, isFailure {
                rows.append(("reason", message))
            }
            if let seconds = answer["seconds_to_answer"]?.doubleValue { rows.append(("answered in", String(format: "%.1f s", seconds))) }
            rows.append(("report", reportURL.path))
            printTable(rows)
        }
        if isFailure { throw ExitCode(1) }
    }

    /// The file was the same request as one still open: follows that one in the registry to its end.
    private func follow(original: String, store: String) throws {
        FileHandle.standardError.write(Data("the same request as \(original), which is still open: following it\n".utf8))
        let registry = try CheckpointStore(root: URL(fileURLWithPath: store)).registry
        var record = try registry.request(id: original)
        while let current = record, current.status.isOpen {
            Thread.sleep(forTimeInterval: 0.5)
            record = try registry.request(id: original)
        }
        guard let record else { throw ValidationError("request \(original) is not in the store \(store)") }
        if json {
            print(try encodeJSON(["request_id": original, "status": record.status.rawValue, "version": record.version.map(String.init) ?? "-"]))
        } else {
            printTable([("request", original), ("status", record.status.rawValue), ("version", record.version.map(String.init) ?? "-")])
        }
        if record.status.isFailure { throw ExitCode(1) }
    }
}
