import Foundation
import XCTest

/// Runs the real `lethe` executable built beside the test bundle.
struct LetheProcess {
    struct Output {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    static var executable: URL {
        Bundle.main.bundleURL.appendingPathComponent("lethe")
    }

    static func run(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      standardOutput: String(decoding: outputData, as: UTF8.self),
                      standardError: String(decoding: errorData, as: UTF8.self))
    }

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try run(arguments)
        XCTAssertEqual(output.status, 0, "lethe \(arguments.joined(separator: " ")): \(output.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(output.standardOutput)")
    }
}

enum Fixture {
    static let llama = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../ModelTests/Fixtures/llama").standardized
}

/// A model folder made by `lethe train-base --quick`, built once per test process and shared
/// by the test classes that only read it.
enum QuickBaseModel {
    nonisolated(unsafe) private static var built: URL?

    static func folder() throws -> URL {
        if let built { return built }
        let folder = try temporaryDirectory().appendingPathComponent("base")
        let result = try LetheProcess.run(["train-base", "--quick", "--out", folder.path])
        XCTAssertEqual(result.status, 0, result.standardError)
        built = folder
        return folder
    }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A test case with a fresh store, created by `lethe init` from a fixture model, in a
/// temporary directory.
class StoreCommandTestCase: XCTestCase {
    var directory: URL!
    var storePath: String { directory.appendingPathComponent("store").path }
    let modelFolder = Fixture.llama.appendingPathComponent("mha_tied")

    override func setUpWithError() throws {
        directory = try temporaryDirectory()
        let created = try LetheProcess.run(["init", "--store", storePath, "--model", modelFolder.path])
        XCTAssertEqual(created.status, 0, created.standardError)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }
}
