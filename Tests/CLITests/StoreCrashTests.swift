import Foundation
import Model
import Store
import XCTest

/// A `lethe import` killed with SIGKILL at each step of publishing leaves a store whose
/// HEAD is a complete version, which `verify` passes once recovery removed the leftovers.
/// And a reader process listing history while versions are published never fails.
final class StoreCrashTests: StoreCommandTestCase {
    /// A folder like the store's model with nudged weights.
    private func nudgedFolder(seed: UInt64) throws -> URL {
        let model = try ModelFolder.load(modelFolder)
        var generator = SeededGenerator(seed: seed)
        for i in 0..<model.parameters.count { model.parameters[i] += 1e-3 * generator.nextGaussian() }
        let folder = directory.appendingPathComponent("nudged-\(seed)")
        try ModelFolder.write(model, to: folder)
        return folder
    }

    func testKillNineAtEveryPublishStepLeavesAConsistentStore() throws {
        let steps = DurableFile.Step.allCases.map { "object.\($0.rawValue)" } + ["registryCommitted"]
        for (index, step) in steps.enumerated() {
            let folder = try nudgedFolder(seed: UInt64(index + 1))
            let headBefore = try CheckpointStore(root: URL(fileURLWithPath: storePath)).head()
            let process = Process()
            process.executableURL = LetheProcess.executable
            process.arguments = ["import", "--store", storePath, "--model", folder.path]
            process.environment = ProcessInfo.processInfo.environment.merging(["LETHE_TEST_STALL_AT": step]) { $1 }
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            // Wait until the child reports that it reached the step, then kill it there.
            var seen = Data()
            while !String(decoding: seen, as: UTF8.self).contains("stalled at") {
                let chunk = errors.fileHandleForReading.availableData
                XCTAssertFalse(chunk.isEmpty, "lethe import exited before \(step): \(String(decoding: seen, as: UTF8.self))")
                if chunk.isEmpty { return }
                seen.append(chunk)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, step)

            let store = try CheckpointStore(root: URL(fileURLWithPath: storePath))
            let head = try store.head()
            XCTAssertEqual(head, step == "registryCommitted" ? headBefore + 1 : headBefore, step)
            XCTAssertNoThrow(try store.loadSafeTensorsBytes(version: head), step)
            let repaired = try LetheProcess.run(["verify", "--repair", "--store", storePath])
            XCTAssertEqual(repaired.status, 0, "\(step): \(repaired.standardOutput)")
            XCTAssertEqual(try LetheProcess.run(["verify", "--store", storePath]).status, 0, step)
        }
    }

    func testAReaderProcessNeverSeesAnErrorOrAHalfPublishedVersion() throws {
        let store = try CheckpointStore(root: URL(fileURLWithPath: storePath))
        let model = try store.loadModel(version: 0)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failures: [String] = []
        nonisolated(unsafe) var reads = 0
        let path = storePath
        Thread.detachNewThread {
            defer { done.signal() }
            for _ in 0..<2000 {
                guard let output = try? LetheProcess.run(["history", "--store", path, "--json"]) else { return }
                reads += 1
                guard output.status == 0,
                      let object = try? JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any],
                      let versions = object["versions"] as? [[String: Any]], let head = object["head"] as? Int
                else {
                    failures.append("status \(output.status): \(output.standardError)")
                    continue
                }
                let ids = versions.compactMap { $0["id"] as? Int }
                if !ids.contains(head) { failures.append("HEAD \(head) not among \(ids)") }
                if ids.count != Set(ids).count || ids.sorted() != Array(0...(ids.max() ?? 0)) { failures.append("gaps in \(ids)") }
                if ids.count == 21 { return }
            }
        }
        var generator = SeededGenerator(seed: 42)
        for _ in 1...20 {
            for i in stride(from: 0, to: model.parameters.count, by: 5) { model.parameters[i] += 1e-3 * generator.nextGaussian() }
            let head = try store.head()
            try store.commit(model, CommitDetails(kind: "unlearn", reason: "concurrency test"), parent: head, expectedHead: head)
        }
        done.wait()
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(reads, 1)
    }
}
