import ArgumentParser
import Foundation
import Model
import Store

struct ForgetSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget-set",
        abstract: "List the persistent forget set: every item ever asked to be forgotten, its state and the version that forgot it."
    )

    @OptionGroup var options: StoreOptions
    @Option(help: "Only items in this state: pending, forgotten, withdrawn or failed (its request failed after the escalation ladder).")
    var state: ForgetItemRecord.State?
    @Option(help: "Only the items of this request.")
    var request: String?

    struct Item: Encodable {
        let id: String
        let request: String
        let state: String
        let forgottenInVersion: Int?
        let prompt: String?
        let completion: String?
        let text: String?
        let latestScores: [String: JSONValue]?
        let createdAt: Date
        let updatedAt: Date
    }

    func run() throws {
        let registry = try options.open().registry
        let records = try request.map { try registry.forgetItems(request: $0) } ?? registry.forgetItems(state: state)
        let items = records.filter { state == nil || $0.state == state }.map { record in
            Item(id: record.id, request: record.requestID, state: record.state.rawValue, forgottenInVersion: record.forgottenInVersion,
                 prompt: record.prompt, completion: record.completion, text: record.text, latestScores: record.latestScores,
                 createdAt: record.createdAt, updatedAt: record.updatedAt)
        }
        if options.json { return print(try encodeJSON(["items": items])) }
        if items.isEmpty { return print("the forget set is empty" + (state.map { " in state \($0.rawValue)" } ?? "")) }
        printColumns(["ITEM", "STATE", "VERSION", "ASKED", "CONTENT"], items.map { item in
            let content = item.text ?? "\(item.prompt ?? "") → \(item.completion ?? "")"
            return [item.id, item.state, item.forgottenInVersion.map(String.init) ?? "-", relativeTime(item.createdAt),
                    content.count > 60 ? String(content.prefix(59)) + "…" : content]
        })
        let counts = Dictionary(grouping: items, by: \.state).mapValues(\.count)
        print("\n\(items.count) items: " + ForgetItemRecord.State.allCases.map { "\(counts[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
    }
}

extension ForgetItemRecord.State: ExpressibleByArgument {}
