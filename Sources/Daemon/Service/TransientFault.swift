import Foundation
import Model
import Store

/// A fault that passes by itself: a full disk or quota (ENOSPC, EDQUOT), an I/O error (EIO), a
/// registry busy or unable to write. A job that meets one is postponed, never failed: the
/// request was valid and will be applied once the fault is gone.
public struct TransientFault: Error, CustomStringConvertible {
    /// What failed, in words.
    public let reason: String

    static let transientCodes: Set<Int32> = [ENOSPC, EDQUOT, EIO]

    /// The transient fault `error` is or wraps, nil when it is anything else.
    public init?(_ error: any Error) {
        switch error {
        case let fault as TransientFault:
            self = fault
        case let error as FileSystemError where Self.transientCodes.contains(error.code):
            reason = error.description
        case let error as POSIXError where Self.transientCodes.contains(error.code.rawValue):
            reason = error.localizedDescription
        case let error as RegistryError:
            switch error {
            case .busy, .storage: reason = error.description
            default: return nil
            }
        case let error as CocoaError where error.code == .fileWriteOutOfSpace:
            reason = error.localizedDescription
        default:
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            guard let underlying, underlying.domain == NSPOSIXErrorDomain, Self.transientCodes.contains(Int32(underlying.code)) else {
                return nil
            }
            reason = "\(error.localizedDescription): \(underlying.localizedDescription)"
        }
    }

    public var description: String { reason }

    /// Seconds to wait before the `attempt`-th retry: 2, 4, 8 … up to five minutes, so a disk
    /// that fills is not hammered and one that frees up is used again soon.
    public static func backoff(attempt: Int) -> Double {
        Double(min(300, 2 << min(max(0, attempt - 1), 8)))
    }
}
