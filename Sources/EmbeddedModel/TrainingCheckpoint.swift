import Foundation
import Model

public enum TrainingCheckpointError: Error, Equatable, CustomStringConvertible {
    case invalid(path: String, reason: String)
    case mismatch(path: String, field: String)

    public var description: String {
        switch self {
        case .invalid(let path, let reason): "\(path) is not a training checkpoint: \(reason)"
        case .mismatch(let path, let field):
            "\(path) was saved by a run with another \(field); start a new run (without --resume) or pass the same settings"
        }
    }
}

/// A resumable training state in one safetensors file: the parameters and both AdamW
/// moments as flat tensors, with the step and the run's options in the metadata. Written
/// crash-safely, so a run killed at any point resumes from its last checkpoint.
public struct TrainingCheckpoint {
    public static let parametersTensor = "parameters"
    public static let firstMomentTensor = "adamw.first_moment"
    public static let secondMomentTensor = "adamw.second_moment"

    public let path: String
    public let step: Int
    let lastLoss: Float?
    let secondsTrained: Double
    let options: SupervisedTrainingOptions
    let fingerprint: String?
    private let file: SafeTensorsFile

    public init(contentsOf url: URL) throws {
        path = url.path
        file = try SafeTensorsFile(contentsOf: url)
        guard let stepText = file.metadata["step"], let step = Int(stepText), step >= 0 else {
            throw TrainingCheckpointError.invalid(path: path, reason: "its metadata has no valid 'step'")
        }
        guard let optionsText = file.metadata["options"],
              let options = try? JSONDecoder().decode(SupervisedTrainingOptions.self, from: Data(optionsText.utf8))
        else { throw TrainingCheckpointError.invalid(path: path, reason: "its metadata has no valid 'options'") }
        self.step = step
        self.options = options
        lastLoss = file.metadata["last_loss"].flatMap { Float($0) }
        secondsTrained = file.metadata["seconds_trained"].flatMap { Double($0) } ?? 0
        fingerprint = file.metadata["fingerprint"]
    }

    /// Saves `training` as it stands after its last step.
    public static func write(_ training: SupervisedTraining, to url: URL) throws {
        let options = String(decoding: try JSONEncoder.sorted.encode(training.options), as: UTF8.self)
        let count = training.model.layout.count
        try SafeTensorsWriter.write([
            .init(name: parametersTensor, shape: [count], values: UnsafeBufferPointer(training.model.parameters)),
            .init(name: firstMomentTensor, shape: [count], values: UnsafeBufferPointer(training.optimizer.firstMoment)),
            .init(name: secondMomentTensor, shape: [count], values: UnsafeBufferPointer(training.optimizer.secondMoment)),
        ], metadata: ["step": String(training.step), "options": options, "fingerprint": training.fingerprint,
                      "last_loss": training.lastLoss.map { String($0) } ?? "", "seconds_trained": String(training.secondsTrained)],
           to: url)
    }

    func restore(into training: SupervisedTraining) throws {
        guard options == training.options else { throw TrainingCheckpointError.mismatch(path: path, field: "set of training options") }
        guard fingerprint == training.fingerprint else {
            throw TrainingCheckpointError.mismatch(path: path, field: "set of training examples or model shape")
        }
        guard step <= training.totalSteps else { throw TrainingCheckpointError.mismatch(path: path, field: "step count") }
        for (name, buffer) in [(Self.parametersTensor, training.model.parameters),
                               (Self.firstMomentTensor, training.optimizer.firstMoment),
                               (Self.secondMomentTensor, training.optimizer.secondMoment)] {
            guard let info = file.info(name), info.shape == [buffer.count] else {
                throw TrainingCheckpointError.mismatch(path: path, field: "model shape (tensor '\(name)')")
            }
            try file.readFloats(name, into: buffer)
        }
    }
}

extension JSONEncoder {
    /// Sorted keys, so equal values always give equal bytes.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
