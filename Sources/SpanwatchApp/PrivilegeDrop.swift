import CLinux

#if canImport(Glibc)
import Glibc
#endif

/// `run -u USER`: after the interfaces are open, become USER and keep one capability,
/// CAP_NET_RAW, so a vanished interface can still be opened again (tcpdump's `-Z`, Suricata's
/// libcap-ng drop). Everything else root could do is gone.
public enum PrivilegeDrop {
    /// The user's uid, gid and home, or an error naming the user.
    public static func lookUp(_ user: String) throws(ConfigurationError) -> (uid: uid_t, gid: gid_t) {
        guard let entry = getpwnam(user) else { throw ConfigurationError("-u \(user): no such user") }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Hands `paths` (the spool directory and its files, written after the drop) to the user.
    public static func handOver(_ paths: [String], to account: (uid: uid_t, gid: gid_t)) {
        for path in paths {
            _ = chown(path, account.uid, account.gid)
            guard let dir = opendir(path) else { continue }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { _ = chown(path + "/" + name, account.uid, account.gid) }
            }
            closedir(dir)
        }
    }

    /// Drops to the account, keeping CAP_NET_RAW (effective and permitted) and nothing else.
    public static func drop(to account: (uid: uid_t, gid: gid_t)) throws(ConfigurationError) {
        guard getuid() == 0 else { throw ConfigurationError("-u: only root can change user (running as uid \(getuid()))") }
        guard spanwatch_keep_capabilities() == 0 else { throw failure("PR_SET_KEEPCAPS") }
        guard setgroups(0, nil) == 0 else { throw failure("setgroups") }
        guard setgid(account.gid) == 0 else { throw failure("setgid") }
        guard setuid(account.uid) == 0 else { throw failure("setuid") }
        guard spanwatch_keep_only_net_raw() == 0 else { throw failure("capset") }
        guard spanwatch_no_new_privileges() == 0 else { throw failure("PR_SET_NO_NEW_PRIVS") }
        // Cannot go back.
        guard setuid(0) != 0 || account.uid == 0 else { throw ConfigurationError("-u: root could be regained; refusing to run") }
    }

    static func failure(_ call: String) -> ConfigurationError {
        ConfigurationError("-u: \(call) failed: \(String(decoding: UnsafeRawBufferPointer(start: strerror(errno), count: strlen(strerror(errno))), as: UTF8.self))")
    }
}
