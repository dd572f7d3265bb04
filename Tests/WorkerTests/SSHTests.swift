import Testing

/// Every test against the fleet's sshd; serialized so the leak checks see only their own
/// descriptors and threads, and so 256 MiB transfers do not compete with each other.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct SSHTests {}
