import Foundation

extension Fleet {
    /// A test host of the fleet, as `scripts/testbed` starts it and its inventory names it.
    public struct TestHost: Sendable, CustomStringConvertible {
        /// The inventory name (`amd64-1`, `arm64-1`, `wincross-1`, `amd64-2`, `docker-user-1`, `podman-1`).
        public let name: String
        /// The env key holding the host's address (`TESTBED_HOST_AMD64`, ...).
        public let addressKey: String
        /// What `uname -m` reports on the host (the arm64 host does so through a PATH fixture).
        public let machine: String
        /// The host's builder in the fleet inventory.
        public let builder: String
        /// The env key holding the user the host logs in as (`TESTBED_SSH_USER`, root, for most hosts).
        public let userKey: String

        /// Whether the host logs in as a non-root user prepared as the README tells users.
        public var isUserHost: Bool { userKey != "TESTBED_SSH_USER" }

        public init(name: String, addressKey: String, machine: String, builder: String,
                    userKey: String = "TESTBED_SSH_USER") {
            self.name = name
            self.addressKey = addressKey
            self.machine = machine
            self.builder = builder
            self.userKey = userKey
        }

        public var description: String { name }
    }

    /// The SSH hosts of the fleet's inventory, in its order.
    public static let testHosts: [TestHost] = [
        TestHost(name: "amd64-1", addressKey: "TESTBED_HOST_AMD64", machine: "x86_64", builder: "buildx"),
        TestHost(name: "arm64-1", addressKey: "TESTBED_HOST_ARM64", machine: "aarch64", builder: "buildx"),
        TestHost(name: "wincross-1", addressKey: "TESTBED_HOST_WINCROSS", machine: "x86_64", builder: "buildah"),
        TestHost(name: "amd64-2", addressKey: "TESTBED_HOST_SPARE", machine: "x86_64", builder: "buildx"),
        TestHost(name: "docker-user-1", addressKey: "TESTBED_HOST_DOCKER_USER", machine: "x86_64", builder: "buildx",
                 userKey: "TESTBED_DOCKER_USER_SSH_USER"),
        TestHost(name: "podman-1", addressKey: "TESTBED_HOST_PODMAN", machine: "x86_64", builder: "podman",
                 userKey: "TESTBED_PODMAN_SSH_USER"),
    ]

    /// The fleet's hosts that log in as a non-root user.
    public static var userHosts: [TestHost] { testHosts.filter(\.isUserHost) }

    /// How the OpenSSH client authenticates.
    public enum OpenSSHIdentity: Sendable {
        /// `TESTBED_SSH_KEY`, the fleet's unprotected ed25519 key.
        case fleetKey
        /// This identity file only (no agent).
        case file(String)
        /// Only the keys of the ssh-agent listening on this socket.
        case agent(socket: String)
    }

    /// Arguments for the OpenSSH client (`/usr/bin/ssh`) that run `command` on `host` with strict host
    /// keys against `TESTBED_KNOWN_HOSTS`, no user or system ssh config, and only `identity`.
    /// `batchMode: false` lets ssh ask `SSH_ASKPASS` for a key's passphrase; `extraOptions` go before
    /// the destination.
    public func openSSHArguments(
        host: TestHost, command: String, identity: OpenSSHIdentity = .fleetKey, batchMode: Bool = true,
        extraOptions: [String] = []
    ) throws -> [String] {
        var arguments = [
            "/usr/bin/ssh", "-F", "/dev/null", "-p", try value("TESTBED_SSH_PORT"),
            "-o", "UserKnownHostsFile=\(try value("TESTBED_KNOWN_HOSTS"))",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=\(batchMode ? "yes" : "no")",
            "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR",
        ]
        switch identity {
        case .fleetKey:
            arguments += ["-i", try value("TESTBED_SSH_KEY"), "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
        case .file(let path):
            arguments += ["-i", path, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
        case .agent(let socket):
            arguments += ["-o", "IdentityAgent=\(socket)"]
        }
        arguments += extraOptions
        arguments += ["\(try value(host.userKey))@\(try value(host.addressKey))", command]
        return arguments
    }
}
