import Foundation
import Shared

/// The host's own count of its builds: a build holds one of the host's `capacity` slots, `WORKDIR/slots/N`, for
/// as long as its process lives, whichever coordinator run started it. On POSIX hosts the build's shell opens the
/// slot file on descriptor 9 and takes `flock -n` on it before the probe, so before any context is shipped; the
/// kernel releases the lock when the last process holding the descriptor ends (a killed run's slot frees itself
/// once its build has ended). On Windows the build's PowerShell process opens the slot file without sharing, at the
/// start of the build script; Windows closes the handle when the process ends.
///
/// The shell keeps the slot's path in `coordinator_slot_path` for the build script (``StableBuildContext``).
///
/// When every slot is taken the command prints ``fullMarker`` and ends with ``fullStatus`` before doing anything
/// else: the build is not started and the coordinator tries another host or waits (``HostSlotsFull``). A host
/// without `flock` (util-linux) builds without a slot.
public enum HostSlots {
    /// The line a command prints when every slot of the host is taken.
    static let fullMarker = HostProbe.marker + "slots-full"
    /// Its exit status (EX_TEMPFAIL).
    static let fullStatus: Int32 = 75

    /// The POSIX sh lines that take a slot under `workDir` (the inventory's value: absolute, `~` or `~/…`) on
    /// descriptor 9, which the shell keeps for its lifetime; empty for a work directory that is neither (the build
    /// is refused later for it).
    static func posixLines(workDir: String, capacity: Int) throws -> [String] {
        let directory: String
        if workDir == "~" {
            directory = "\"$HOME\"/slots"
        } else if workDir.hasPrefix("~/") {
            let rest = String(workDir.dropFirst(2))
            directory = "\"$HOME\"/" + (rest.isEmpty ? "" : try POSIXShell.quote(rest) + "/") + "slots"
        } else if workDir.hasPrefix("/") {
            directory = try POSIXShell.quote(workDir) + "/slots"
        } else {
            return []
        }
        let capacity = max(1, capacity)
        return [
            "coordinator_slots=\(directory)",
            "if command -v flock >/dev/null 2>&1 && mkdir -p -- \"$coordinator_slots\" 2>/dev/null; then",
            "    coordinator_slot=0",
            "    while [ \"$coordinator_slot\" -lt \(capacity) ]; do",
            // A failed redirection of `exec` would end the shell: the file is opened in a subshell first.
            "        if ( : >>\"$coordinator_slots/$coordinator_slot\" ) 2>/dev/null; then",
            "            exec 9>>\"$coordinator_slots/$coordinator_slot\"",
            "            if flock -n 9; then coordinator_slot_path=\"$coordinator_slots/$coordinator_slot\"; break; fi",
            "            exec 9>&-",
            "        fi",
            "        coordinator_slot=$((coordinator_slot + 1))",
            "    done",
            "    if [ \"$coordinator_slot\" -ge \(capacity) ]; then",
            "        printf '%s\\n' '\(fullMarker)'",
            "        exit \(fullStatus)",
            "    fi",
            "fi",
            "unset coordinator_slots coordinator_slot",
        ]
    }

    /// The PowerShell lines that open a slot file in `directory` (`WORKDIR\slots`, resolved) without sharing, kept
    /// open in `$CoordinatorSlot` until the process ends.
    static func powerShellLines(directory slots: String, capacity: Int) throws -> [String] {
        let directory = try PowerShell.quote(slots)
        return [
            "$CoordinatorSlot = $null",
            "try { [void][System.IO.Directory]::CreateDirectory(\(directory)) } catch { }",
            "for ($coordinatorSlotIndex = 0; $coordinatorSlotIndex -lt \(max(1, capacity)); $coordinatorSlotIndex++) {",
            "    try {",
            "        $coordinatorSlotFile = Join-Path \(directory) ([string]$coordinatorSlotIndex)",
            "        $CoordinatorSlot = [System.IO.File]::Open($coordinatorSlotFile, "
                + "[System.IO.FileMode]::OpenOrCreate, [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)",
            "        break",
            "    } catch { $CoordinatorSlot = $null }",
            "}",
            "if ($null -eq $CoordinatorSlot) { [Console]::Out.WriteLine('\(fullMarker)'); exit \(fullStatus) }",
        ]
    }

    /// The exec request of a Windows build: `script` behind the lines that take a slot in `directory`.
    /// With `holding`, the build's context directory, the process also holds that context's lock (``ContextLock``).
    static func powerShellCommand(
        _ script: RemoteScript, shell: RemoteShell, directory: String, capacity: Int, holding context: String? = nil
    ) throws -> RemoteInvocation {
        let lines = try powerShellLines(directory: directory, capacity: capacity)
            + (context.map(ContextLock.powerShellLines(holding:)) ?? [])
        return try shell.command(forScriptText: lines.joined(separator: "\n") + "\n" + shell.render(script))
    }

    /// Whether a command's output says every slot was taken.
    static func saidFull(_ output: String) -> Bool {
        output.split(whereSeparator: \.isNewline).contains { $0.trimmingCharacters(in: .whitespaces) == fullMarker }
    }
}

/// Every slot of a host was taken by other builds (of this run or another): nothing was started there. The
/// scheduler tries another eligible host, or waits for a free slot; it is not a failed attempt.
public struct HostSlotsFull: ClassifiedError, Sendable {
    /// The host.
    public var host: String
    /// Its slots.
    public var capacity: Int

    /// Creates the error for `host` with `capacity` slots.
    public init(host: String, capacity: Int) {
        self.host = host
        self.capacity = capacity
    }

    public var failureKind: FailureKind { .infrastructure }
    public var description: String {
        capacity == 1
            ? "the only build slot on \(host) is taken" : "all \(capacity) build slots on \(host) are taken"
    }
}
