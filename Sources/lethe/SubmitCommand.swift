import ArgumentParser
import Daemon
import Foundation

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
    @Option(help: "The spool folder the daemon serves.")
    var spool = "spool"
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
        let parser = RequestParser()
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
        try target.create()
        let handedIn = try target.submit(bytes, extension: isLines ? "jsonl" : "json")
        let (kind, items): (String, Int)
        switch request {
        case .forget(let forget): (kind, items) = ("forget", forget.forget.count)
        case .withdraw(let withdraw): (kind, items) = ("withdraw", withdraw.withdraw.count)
        }
        if json {
            print(try encodeJSON(Result(requestId: request.id, kind: kind, items: items, spoolFile: "incoming/\(handedIn)")))
        } else {
            print(request.id)
            FileHandle.standardError.write(Data("handed in as \(spool)/incoming/\(handedIn): \(kind), \(items) \(items == 1 ? "item" : "items")\n".utf8))
        }
    }
}
