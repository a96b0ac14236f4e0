import Foundation
import Model
import Store

/// The report beside an answered request (`NAME.result.json` or `NAME.error.json`), built from
/// the registry alone: the answer a crash interrupted is written again the same.
enum RequestReport {
    /// `request` as the registry has it, with the forget-set entries it named.
    static func fields(_ request: RequestRecord, items: [ForgetItemRecord], in registry: RegistryTransaction) throws -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "request_id": .string(request.id), "file": .string(request.fileName), "status": .string(request.status.rawValue),
            "kind": .string(request.kind.rawValue), "received_at": .string(LetheJSON.timestamp(request.receivedAt)),
            "answered_at": .string(LetheJSON.timestamp(request.updatedAt)),
            "seconds_to_answer": .number(request.updatedAt.timeIntervalSince(request.receivedAt)),
            "version": request.version.map { .number(Double($0)) } ?? .null,
        ]
        if let submitter = request.submittedBy { fields["submitted_by"] = .string(submitter) }
        if let uid = request.submitterUID { fields["submitter_uid"] = .number(Double(uid)) }
        if let name = request.submitterName { fields["submitter_name"] = .string(name) }
        if let reason = request.reason { fields["reason"] = .string(reason) }
        if let error = request.error { fields["error"] = .object(error) }
        if let id = request.version, let version = try registry.version(id) {
            fields["parent"] = version.parent.map { .number(Double($0)) } ?? .null
            fields["method"] = version.method.map(JSONValue.string) ?? .null
            fields["hyperparameters"] = .object(version.hyperparameters)
            fields["metrics"] = .object(version.metrics)
            fields["coalesced_with"] = .array(try registry.requests(servedBy: id).map(\.id).filter { $0 != request.id }.map(JSONValue.string))
        }
        if !items.isEmpty {
            fields["items"] = .array(items.map { item in
                .object(["id": .string(item.id), "state": .string(item.state.rawValue),
                         "forgotten_in_version": item.forgottenInVersion.map { .number(Double($0)) } ?? .null,
                         "scores": item.latestScores.map(JSONValue.object) ?? .null])
            })
        }
        return fields
    }
}
