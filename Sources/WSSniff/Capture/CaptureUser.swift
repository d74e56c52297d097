import CPcap
import Glibc

/// The unprivileged user a live capture runs as once its device and output files are open (as tcpdump's `-Z`).
///
/// Started as root, `wssniff capture` opens the device, installs the filter and opens the `-w` and `--report` files,
/// then gives root up for good before it reads a single packet: supplementary groups, group, user, in that order,
/// checked afterwards. Started without root (with the capabilities granted by `setcap`), it clears its capabilities
/// at the same point instead.
package struct CaptureUser: Sendable, Equatable {
    package var name: String
    package var uid: UInt32
    package var gid: UInt32

    /// Whether the process runs as root (effective uid 0).
    package static var isRoot: Bool { geteuid() == 0 }

    /// The user a capture started as root drops to when `--user` is not given.
    package static let defaultName = "nobody"

    package init(name: String, uid: UInt32, gid: UInt32) {
        self.name = name
        self.uid = uid
        self.gid = gid
    }

    /// Looks `name` up in the password database (a user name, or a numeric uid).
    package static func lookup(_ name: String) throws(WSSniffError) -> CaptureUser {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        var status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        if result == nil, let number = UInt32(name) {
            status = getpwuid_r(number, &entry, &buffer, buffer.count, &result)
        }
        guard status == 0, result != nil else {
            let reason = status == 0 ? "no such user" : String(cString: strerror(status))
            throw WSSniffError(
                .usage,
                "--user \(name): \(reason); name an existing unprivileged user (the default is \(Self.defaultName))"
            )
        }
        return CaptureUser(name: String(cString: entry.pw_name), uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// The user to switch to after opening the device: `requested` (`--user`), or `nobody` when running as root.
    /// `nil` when no switch is wanted: not root, or `--user` names the user already running (`--user root` included).
    package static func target(requested: String?) throws(WSSniffError) -> CaptureUser? {
        let effective = geteuid()
        if effective != 0 {
            guard let requested else { return nil }
            let user = try Self.lookup(requested)
            guard user.uid == effective else {
                throw WSSniffError(
                    .usage,
                    "--user \(requested): only root can switch users, and wssniff runs as uid \(effective); "
                        + "leave --user out (a capture started without root keeps its own user)"
                )
            }
            return nil
        }
        let user = try Self.lookup(requested ?? Self.defaultName)
        return user.uid == 0 ? nil : user
    }

    /// Gives this user a `-w` file wssniff created as root, so it can replace it after the switch (a rotation ring
    /// that comes back to its name). Never called for a file wssniff did not create.
    package func own(descriptor: Int32, path: String) throws(WSSniffError) {
        guard geteuid() == 0 else { return }
        if fchown(descriptor, self.uid, self.gid) != 0 {
            throw WSSniffError(
                .cannotWrite,
                "cannot give \(path) to user \(self.name): \(String(cString: strerror(errno)))"
            )
        }
    }

    /// Switches the whole process to this user for good. Fails closed: any step that does not take, or a check
    /// afterwards that still finds root (or a way back to it), throws, and the capture does not start.
    package func become() throws(WSSniffError) {
        func failure(_ step: String) -> WSSniffError {
            WSSniffError(
                .captureNotPermitted,
                "cannot drop privileges to user \(self.name) (uid \(self.uid)): \(step) failed: "
                    + "\(String(cString: strerror(errno))); not capturing as root"
            )
        }
        // Supplementary groups first (root's would survive setgid and setuid), then the group, then the user: once
        // the user is changed, the groups can no longer be.
        if initgroups(self.name, self.gid) != 0 { throw failure("initgroups") }
        if setgid(self.gid) != 0 { throw failure("setgid") }
        if setuid(self.uid) != 0 { throw failure("setuid") }

        var real: uid_t = 0
        var effective: uid_t = 0
        var saved: uid_t = 0
        var realGroup: gid_t = 0
        var effectiveGroup: gid_t = 0
        var savedGroup: gid_t = 0
        guard wssniff_getresuid(&real, &effective, &saved) == 0,
            wssniff_getresgid(&realGroup, &effectiveGroup, &savedGroup) == 0
        else { throw failure("getresuid") }
        guard [real, effective, saved] == [self.uid, self.uid, self.uid],
            [realGroup, effectiveGroup, savedGroup] == [self.gid, self.gid, self.gid]
        else {
            throw WSSniffError(
                .captureNotPermitted,
                "cannot drop privileges to user \(self.name): still uid \(real)/\(effective)/\(saved), "
                    + "gid \(realGroup)/\(effectiveGroup)/\(savedGroup); not capturing"
            )
        }
        // The switch must be one-way.
        if setuid(0) == 0 || seteuid(0) == 0 {
            throw WSSniffError(
                .captureNotPermitted,
                "dropped to user \(self.name) but could become root again; not capturing"
            )
        }
        if wssniff_has_capabilities() != 0 {
            throw WSSniffError(
                .captureNotPermitted,
                "dropped to user \(self.name) but capabilities remain; not capturing"
            )
        }
    }

    /// For a capture started without root: clears the capabilities `setcap` granted, once the device is open.
    /// Root that keeps root (`--user root`) keeps its capabilities too. `capset(2)` changes the calling thread only:
    /// the capture is still one thread here (nothing has started another), and the check reads the same thread.
    package static func clearCapabilities() throws(WSSniffError) {
        guard geteuid() != 0 else { return }
        let held = wssniff_has_capabilities()
        if held == 0 { return }
        if held < 0 || wssniff_clear_capabilities() != 0 || wssniff_has_capabilities() != 0 {
            throw WSSniffError(
                .captureNotPermitted,
                "cannot give up the capture capabilities once the device is open: "
                    + "\(String(cString: strerror(errno))); not capturing"
            )
        }
    }

    /// Whether this user can create the rotated files (`NAME.1`, ...) beside `path`. Before the switch
    /// (`switched: false`) the directory's owner and mode bits are read, so a plain refusal shows before anything is
    /// opened; after it, `access(2)` asks the kernel as this user (ACLs and supplementary groups included).
    package func checkRotationDirectory(for path: String, switched: Bool) throws(WSSniffError) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        var reason: String?
        if switched {
            if access(directory, W_OK | X_OK) != 0 { reason = String(cString: strerror(errno)) }
        } else {
            var status = stat()
            if stat(directory, &status) == 0 {
                let mode = status.st_mode
                let asOwner = status.st_uid == self.uid && mode & 0o300 == 0o300
                // Any group write bit may be the user's through a supplementary group: left to the check as the user.
                let maybeAsGroup = mode & 0o020 != 0
                let asOther = mode & 0o003 == 0o003
                if !(asOwner || maybeAsGroup || asOther) { reason = "Permission denied" }
            }
        }
        if let reason {
            throw WSSniffError(
                .cannotWrite,
                "--rotate-size: user \(self.name) cannot create files in \(directory) (\(reason)), where "
                    + "\(path).1 and the next files go once root is dropped; write into a directory \(self.name) "
                    + "can write, or choose another --user"
            )
        }
    }
}
