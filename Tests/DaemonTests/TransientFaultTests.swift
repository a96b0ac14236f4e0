import Foundation
import Model
import Store
import XCTest
@testable import Daemon

/// Which faults postpone a job instead of failing its requests (finding 2).
final class TransientFaultTests: XCTestCase {
    func testAFullDiskAnIOErrorAndABusyOrFullRegistryAreTransient() {
        for code in [ENOSPC, EDQUOT, EIO] {
            XCTAssertNotNil(TransientFault(FileSystemError(path: "/store/objects/x", operation: "write", code: code)), "\(code)")
            XCTAssertNotNil(TransientFault(POSIXError(POSIXErrorCode(rawValue: code)!)), "\(code)")
        }
        XCTAssertNotNil(TransientFault(RegistryError.busy(path: "lethe.sqlite", timeout: 5)))
        XCTAssertNotNil(TransientFault(RegistryError.storage(path: "lethe.sqlite", message: "database or disk is full")))
        XCTAssertNotNil(TransientFault(CocoaError(.fileWriteOutOfSpace)))
        let wrapped = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
                              userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        XCTAssertNotNil(TransientFault(wrapped), "Foundation's write wraps the errno")
    }

    func testEverythingElseIsNot() {
        XCTAssertNil(TransientFault(FileSystemError(path: "/x", operation: "open", code: EACCES)))
        XCTAssertNil(TransientFault(FileSystemError(path: "/x", operation: "open", code: ENOENT)))
        XCTAssertNil(TransientFault(RegistryError.database(message: "constraint failed")))
        XCTAssertNil(TransientFault(RequestError(file: "r.json", reason: "is empty")))
        XCTAssertNil(TransientFault(CocoaError(.fileReadNoPermission)))
    }

    func testTheBackOffDoublesUpToFiveMinutes() {
        XCTAssertEqual((1...10).map(TransientFault.backoff), [2, 4, 8, 16, 32, 64, 128, 256, 300, 300])
    }
}
