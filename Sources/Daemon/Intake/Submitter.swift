import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who handed a request in, as the file system tells it: the uid that owns the file in
/// `incoming/`. A request's `submitted_by` is a label anyone can write; this is not.
public struct Submitter: Sendable, Equatable {
    public let uid: uid_t

    public init(uid: uid_t) { self.uid = uid }

    /// The user's name now, nil when the uid has none.
    public var name: String? { Self.passwordEntry(uid).map(\.name) }

    /// Whether this submitter may withdraw what `owner` handed in: the same uid, root, the
    /// daemon's own uid (its operator), or a member of `adminGroup`. A request recorded with no
    /// owner (before owners were recorded) is the admins' alone.
    public func mayWithdraw(requestOf owner: Int?, adminGroup: String?) -> Bool {
        if let owner, owner == Int(uid) { return true }
        if uid == 0 || uid == geteuid() { return true }
        return adminGroup.map(isMember) ?? false
    }

    /// Whether the user is in `group`, as its primary group or a supplementary one.
    public func isMember(of group: String) -> Bool {
        guard let groupID = Self.groupID(group), let user = Self.passwordEntry(uid) else { return false }
        if user.group == groupID { return true }
        var count: Int32 = 64
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let found = getgrouplist(user.name, user.group, &groups, &count)
            if found >= 0 { return groups.prefix(Int(count)).contains(groupID) }
            guard count > Int32(groups.count) else { return false }
        }
    }

    private static func passwordEntry(_ uid: uid_t) -> (name: String, group: gid_t)? {
        var entry = passwd(), result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 << 10)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (String(cString: entry.pw_name), entry.pw_gid)
    }

    private static func groupID(_ name: String) -> gid_t? {
        var entry = group(), result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 64 << 10)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}
