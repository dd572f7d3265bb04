import Shared

extension SSHTarget {
    /// The target for an inventory host: its address (or `~/.ssh/config` alias), port, user,
    /// identity files and agent choice; known hosts from `~/.ssh/known_hosts` plus the host's own
    /// file; POSIX process-group cancellation unless the host's shell is PowerShell or cmd.
    public init(host: BuildHost, hostKeyPolicy: HostKeyPolicy = .strict, passphrase: String? = nil) {
        var knownHosts = [SSHTarget.userKnownHostsFile]
        if let file = host.knownHostsFile { knownHosts.append(file) }
        self.init(
            name: host.name,
            address: host.address,
            port: host.port ?? 22,
            user: host.user ?? "",
            identityFiles: host.identityFiles,
            useAgent: host.agent,
            knownHostsFiles: knownHosts,
            hostKeyPolicy: hostKeyPolicy,
            passphrase: passphrase,
            posixShell: host.shell == .sh
        )
        portMayComeFromConfig = host.port == nil
    }
}
