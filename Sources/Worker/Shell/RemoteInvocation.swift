/// What one SSH exec request sends: the command line, and the bytes that go first on the command's standard
/// input (before any input of the caller's own).
///
/// On POSIX hosts ``input`` is empty and the script is in the command line (`sh -c 'SCRIPT'`). On Windows hosts
/// the command line is always the same constant bootstrap (``WindowsBootstrap``) and the script travels in
/// ``input`` as a length-framed message: no value changes the command line's length, so cmd.exe's 8,191-character
/// limit can never be reached whatever the host's DefaultShell is.
public struct RemoteInvocation: Sendable, Hashable, CustomStringConvertible {
    /// The command line of the exec request.
    public var command: String
    /// The bytes sent on standard input before the caller's own input.
    public var input: [UInt8]

    /// Creates an invocation.
    public init(command: String, input: [UInt8] = []) {
        self.command = command
        self.input = input
    }

    public var description: String {
        input.isEmpty ? command : command + " (and \(input.count) bytes of script on standard input)"
    }
}
