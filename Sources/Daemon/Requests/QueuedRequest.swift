import Foundation
import Model
import Store

/// What a job needs of a queued forget request besides its forget-set entries: its options, its
/// retain items, and the fingerprints of the entries it names (some may be an earlier request's).
/// Recorded with the request when it is queued (`RequestRecord.content`), so the file in
/// `active/` is read once, at intake, and never parsed again.
public struct QueuedRequest: Sendable, Equatable, Codable {
    public let options: RequestOptions
    public let retain: [RequestItem]
    /// `ForgetItemRecord.fingerprint` of each forget item, in the file's order.
    public let fingerprints: [String]

    public init(_ request: ForgetRequest) {
        options = request.options
        retain = request.retain
        fingerprints = request.forget.map { RequestParser.fingerprint($0.content) }
    }

    /// The JSON object recorded in the registry.
    public func recorded() throws -> [String: JSONValue] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try JSONDecoder().decode(JSONValue.self, from: encoder.encode(self)).objectValue ?? [:]
    }

    /// The request as queued: what the registry recorded, or for a request recorded before the
    /// registry kept it (migration v4), its file in `active/`, which must still hold the bytes
    /// that were queued.
    public static func of(_ record: RequestRecord, in spool: SpoolFolders) -> Result<QueuedRequest, RequestError> {
        if let content = record.content {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            guard let data = try? JSONEncoder().encode(JSONValue.object(content)), let queued = try? decoder.decode(Self.self, from: data) else {
                return .failure(RequestError(file: record.fileName, reason: "has a recorded content in the registry that does not read"))
            }
            return .success(queued)
        }
        do {
            let claim = try spool.inspect(.active, record.fileName)
            let parser = RequestParser.accepted
            let parsed = try parser.parse(try spool.read(claim, limit: parser.limits.maxFileBytes), fileName: record.fileName)
            guard case .forget(let request) = parsed, request.id == record.id, request.contentHash == record.contentHash else {
                return .failure(RequestError(file: record.fileName, reason: "no longer holds request \(record.id) as it was queued"))
            }
            return .success(QueuedRequest(request))
        } catch let error as RequestError {
            return .failure(error)
        } catch {
            return .failure(RequestError(file: record.fileName, reason: "cannot be read from active/: \(error)"))
        }
    }
}
