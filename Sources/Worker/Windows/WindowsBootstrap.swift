import Foundation

/// The one command line every Windows host receives, whatever it is asked to do.
///
/// Win32-OpenSSH runs an exec request through the host's DefaultShell (`HKLM:\SOFTWARE\OpenSSH\DefaultShell`):
/// `cmd.exe /c COMMAND` unless an administrator chose PowerShell (Win32-OpenSSH wiki "DefaultShell";
/// `contrib/win32/win32compat/shell-host.c`). cmd.exe refuses lines over 8,191 characters, so a script inside the
/// command line (as `-EncodedCommand`, UTF-16 base64: about 2.7 characters per script character) breaks on the
/// first real build. Instead the command line is a constant: Windows PowerShell 5.1 with a small fixed
/// `-EncodedCommand` (only `[A-Za-z0-9+/=-]` and spaces, which cmd.exe and PowerShell pass unchanged) that reads
/// the real script from standard input as a length-framed message, runs it, and leaves the rest of standard
/// input (a password, a context archive) to the script, which finds the stream in `$global:CoordinatorInput`.
///
/// The frame is 10 ASCII digits (the script's length in UTF-8 bytes) and the script. The bootstrap reads exactly
/// that many bytes from the raw stream of `[Console]::OpenStandardInput()` (an unbuffered stream over the stdin
/// handle in .NET Framework, so nothing past the frame is consumed), never through `$input` or `ReadLine`, which
/// decode text and read ahead.
public enum WindowsBootstrap {
    /// The digits of the frame's length header.
    static let headerDigits = 10
    /// The largest script a frame carries (far above any script the coordinator renders).
    public static let maximumScriptBytes = 64 * 1024 * 1024

    /// The bootstrap's PowerShell text: UTF-8 console output without a BOM (Windows PowerShell otherwise writes
    /// the OEM code page), no progress records (which reach SSH as `#< CLIXML` on standard error), then the
    /// framed read. A short or malformed frame ends the command with status 125 and runs nothing.
    static let script = """
        $ProgressPreference='SilentlyContinue'
        try{[Console]::OutputEncoding=New-Object Text.UTF8Encoding $false}catch{}
        $OutputEncoding=New-Object Text.UTF8Encoding $false
        $i=[Console]::OpenStandardInput()
        function R([int]$n){$b=New-Object byte[] $n;$o=0;while($o -lt $n){$r=$i.Read($b,$o,$n-$o);if($r -le 0){exit 125};$o+=$r};,$b}
        $h=[Text.Encoding]::ASCII.GetString((R 10))
        if($h -notmatch '^[0-9]{10}$'){exit 125}
        $global:CoordinatorInput=$i
        . ([scriptblock]::Create([Text.Encoding]::UTF8.GetString((R ([int]$h)))))
        """

    /// The constant command line: Windows PowerShell 5.1, no logo, no profile, never prompting, with the
    /// bootstrap as its `-EncodedCommand` (base64 of UTF-16LE, as `powershell.exe -?` documents).
    public static let command = "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass "
        + "-EncodedCommand " + PowerShell.encode(script)

    /// The framed message that carries `script` (PowerShell text) to the bootstrap.
    /// - Throws: ``ShellQuotingError`` when the script holds NUL or is longer than ``maximumScriptBytes``.
    public static func frame(_ script: String) throws -> [UInt8] {
        if script.unicodeScalars.contains("\0") {
            throw ShellQuotingError(shell: .powershell, value: script, reason: .nulCharacter)
        }
        let body = Array(script.utf8)
        guard body.count <= maximumScriptBytes else {
            throw ShellQuotingError(
                shell: .powershell, value: String(script.prefix(200)),
                reason: .tooLong(length: body.count, limit: maximumScriptBytes))
        }
        let digits = String(body.count)
        return Array((String(repeating: "0", count: headerDigits - digits.count) + digits).utf8) + body
    }

    /// The invocation that runs `script` on a Windows host.
    public static func invocation(_ script: String) throws -> RemoteInvocation {
        RemoteInvocation(command: command, input: try frame(script))
    }
}
