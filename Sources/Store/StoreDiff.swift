import Foundation
import Model

/// How two versions differ, tensor by tensor.
public struct VersionDiff: Codable, Sendable {
    public struct TensorChange: Codable, Sendable {
        public let name: String
        /// ‖b − a‖ / ‖a‖ (0 for identical tensors).
        public let relativeL2: Double
        public let maxAbsChange: Float
    }

    public let from: Int
    public let to: Int
    public let tensors: [TensorChange]
    public let metricsFrom: [String: JSONValue]
    public let metricsTo: [String: JSONValue]

    public var changedTensorCount: Int { tensors.filter { $0.maxAbsChange > 0 }.count }
}

extension CheckpointStore {
    public func diff(_ a: Int, _ b: Int) throws -> VersionDiff {
        guard let versionA = try registry.version(a) else { throw StoreError.unknownVersion(a) }
        guard let versionB = try registry.version(b) else { throw StoreError.unknownVersion(b) }
        let fileA = try SafeTensorsFile(bytes: try loadSafeTensorsBytes(version: a))
        let fileB = try SafeTensorsFile(bytes: try loadSafeTensorsBytes(version: b))
        var changes: [VersionDiff.TensorChange] = []
        for info in fileB.tensors {
            guard fileA.info(info.name)?.shape == info.shape else { continue }
            let valuesA = try fileA.floats(info.name), valuesB = try fileB.floats(info.name)
            var difference: Double = 0, norm: Double = 0
            var maxChange: Float = 0
            for i in 0..<valuesA.count {
                let delta = valuesB[i] - valuesA[i]
                difference += Double(delta) * Double(delta)
                norm += Double(valuesA[i]) * Double(valuesA[i])
                maxChange = max(maxChange, abs(delta))
            }
            changes.append(.init(name: info.name, relativeL2: norm > 0 ? (difference / norm).squareRoot() : difference.squareRoot(),
                                 maxAbsChange: maxChange))
        }
        return VersionDiff(from: a, to: b, tensors: changes,
                           metricsFrom: versionA.metrics, metricsTo: versionB.metrics)
    }
}
