/// How long a native command line may be on a Windows host, counted in what Windows counts: UTF-16 code units.
///
/// The script starts `docker` through `System.Diagnostics.Process`, whose command line reaches `CreateProcessW`,
/// limited to 32,767 UTF-16 units including the terminating NUL (CreateProcessW, `lpCommandLine`, Microsoft
/// Learn). The SSH command line itself is constant (``WindowsBootstrap``), so this is the only limit inputs meet.
public enum WindowsCommandBudget {
    /// The longest command line `CreateProcessW` accepts, without its terminating NUL.
    public static let createProcessLimit = 32_766

    /// The UTF-16 units of the `docker build` command line that build arguments may take (the rest holds the
    /// Dockerfile and context paths, tag, labels and flags).
    public static let buildArgumentBudget = 24 * 1024

    /// The UTF-16 units `arguments` take on a Windows command line: ` --build-arg NAME=VALUE` each, quoted by the
    /// C runtime rules (``WindowsCommandLine``). A value that cannot be quoted (NUL) counts as over the budget.
    public static func buildArgumentLength(_ arguments: [BuildArgument]) -> Int {
        arguments.reduce(0) { total, argument in
            guard let quoted = try? WindowsCommandLine.quote(argument.assignment) else { return Int.max / 2 }
            return total + " --build-arg ".utf16.count + quoted.utf16.count
        }
    }
}
