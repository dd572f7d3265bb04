extension RemoteShell {
    /// Renders `script` as a POSIX sh script: `set -eu`, a trap that removes ``RemoteScript/removeOnExit``
    /// and keeps the exit status, and one line per step with every value single-quoted.
    func renderPOSIX(_ script: RemoteScript) throws -> String {
        var lines = ["set -eu"]
        if !script.removeOnExit.isEmpty || !script.removeOnFailure.isEmpty {
            var body: [String] = []
            if !script.removeOnFailure.isEmpty {
                let paths = try script.removeOnFailure.map(POSIXShell.quote).joined(separator: " ")
                body.append("if [ \"$status\" -ne 0 ]; then rm -rf -- \(paths); fi")
            }
            if !script.removeOnExit.isEmpty {
                body.append("rm -rf -- " + (try script.removeOnExit.map(POSIXShell.quote).joined(separator: " ")))
            }
            lines.append(POSIXShell.exitTraps(cleanup: body.joined(separator: "; ")))
        }
        for step in script.steps {
            lines.append(try renderPOSIX(step))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderPOSIX(_ step: RemoteScript.Step) throws -> String {
        switch step {
        case .run(let command):
            var words = try command.environment.map { variable in
                let variable = try validated(variable)
                return variable.name + "=" + (try POSIXShell.quote(variable.value))
            }
            words.append(try POSIXShell.commandLine(command.arguments))
            if !command.readsScriptInput {
                words.append("</dev/null")
            }
            if let file = command.outputFile {
                words.append(">" + (try POSIXShell.quote(file)))
            }
            return words.joined(separator: " ") + (command.allowFailure ? " || true" : "")
        case .makeDirectory(let path, let privateToUser):
            let quoted = try POSIXShell.quote(path)
            return privateToUser
                ? "mkdir -p -- \"$(dirname -- \(quoted))\" && mkdir -m 700 -- \(quoted)"
                : "mkdir -p -- \(quoted)"
        case .makeRunDirectory(let path):
            let quoted = try POSIXShell.quote(path)
            // A process is alive when it can be signalled or, for another user's process, has a /proc entry.
            return try renderPOSIX(.makeDirectory(path, privateToUser: true)) + " && echo $$ >\(quoted)/owner && "
                + "{ for d in \"$(dirname -- \(quoted))\"/*/; do [ -f \"${d}owner\" ] || continue; "
                + "p=$(cat \"${d}owner\"); case $p in ''|*[!0-9]*) continue ;; esac; "
                + "[ -n \"$(find \"${d}\(RemoteScript.fetchPendingMarker)\" -mmin -60 2>/dev/null)\" ] && continue; "
                + "kill -0 \"$p\" 2>/dev/null || [ -d \"/proc/$p\" ] || rm -rf -- \"$d\"; done; } || true"
        case .removeTree(let path):
            return "rm -rf -- " + (try POSIXShell.quote(path))
        case .writeFile(let path, let contents):
            return "printf '%s' \(try POSIXShell.quote(contents)) >\(try POSIXShell.quote(path))"
        case .setEnvironment(let variable):
            let variable = try validated(variable)
            return "export " + variable.name + "=" + (try POSIXShell.quote(variable.value))
        case .moveIfAbsent(let source, let target):
            let target = try POSIXShell.quote(target)
            return "[ -e \(target) ] || mv -- \(try POSIXShell.quote(source)) \(target)"
        case .printFile(let path, let marker):
            let path = try POSIXShell.quote(path)
            return "if [ -f \(path) ]; then printf '%s\\n' \(try POSIXShell.quote(marker)); cat -- \(path); fi"
        case .enterBuildContext(let path, let key):
            return try StableBuildContext.enter(path, key: key)
        case .buildContextReceived:
            return StableBuildContext.received
        case .readInput(let path, let byteCount):
            // dd reads one byte at a time, never past the count (head -c may read ahead on some systems), and the
            // length is checked: a short read (the input broke off) fails the script.
            let path = try POSIXShell.quote(path)
            return "(umask 077 && dd bs=1 count=\(byteCount) of=\(path) 2>/dev/null) && "
                + "[ \"$(wc -c <\(path))\" -eq \(byteCount) ]"
        }
    }
}
