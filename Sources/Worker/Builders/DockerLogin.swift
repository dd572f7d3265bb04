import Foundation
import Shared

/// Logging the docker CLI in for one build without touching the host's own configuration: a private
/// `DOCKER_CONFIG` directory in the run directory, `docker login --password-stdin` reading the password
/// from the script's standard input, and the directory removed when the script ends, however it ends.
///
/// The temporary configuration keeps the host's CLI plugins (`cliPluginsExtraDirs`) and buildx
/// instances (`BUILDX_CONFIG`), so `--builder NAME` still finds the host's instance.
enum DockerLogin {
    /// Adds the login steps to `script` and returns the standard input to send (the password).
    static func add(
        _ login: RegistryLogin?, to script: inout RemoteScript, invocation: BuildInvocation, builder: BuilderKind
    ) throws -> [UInt8] {
        guard let login else { return [] }
        let shell = invocation.shell
        let configuration = shell.join(invocation.runDirectory, "docker-config")
        script.steps.append(.makeDirectory(configuration, privateToUser: true))
        script.removeOnExit.append(configuration)
        if let hostConfig = invocation.hostDockerConfig {
            script.steps.append(.setEnvironment(EnvironmentVariable("BUILDX_CONFIG", shell.join(hostConfig, "buildx"))))
        }
        let json = try configurationJSON(server: login.server, pluginsDirectory: invocation.hostDockerConfig.map {
            shell.join($0, "cli-plugins")
        })
        script.steps.append(.writeFile(shell.join(configuration, "config.json"), contents: json))
        script.steps.append(.setEnvironment(EnvironmentVariable("DOCKER_CONFIG", configuration)))
        script.run(RemoteCommand(
            ["docker", "login", "--username", login.username, "--password-stdin", login.server],
            readsScriptInput: true))
        return Array(login.password.utf8)
    }
}

extension DockerLogin {
    /// The temporary `config.json`: an `auths` entry for the login's server (empty: `docker login` fills it in)
    /// and no `credsStore`. The docker CLI looks for a platform credential helper (`docker-credential-wincred.exe`
    /// on Windows, `pass` or `secretservice` on Linux) only when a configuration holds no auth at all
    /// (docker/cli `config.load`: `if !configFile.ContainsAuth()`); over SSH wincred fails ("A specified logon
    /// session does not exist", docker/cli#4353), and where it works the password outlives the run. With the entry,
    /// the password stays in this file, in the run's private directory, removed when the script ends.
    static func configurationJSON(server: String, pluginsDirectory: String?) throws -> String {
        var settings: [String: Any] = ["auths": [server: [String: String]()]]
        if let pluginsDirectory {
            settings["cliPluginsExtraDirs"] = [pluginsDirectory]
        }
        let json = try JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: json, as: UTF8.self)
    }
}

/// Reads a tag's repository (`reg:5000/a/b:v1` → `reg:5000/a/b`).
enum ImageReference {
    static func repository(of tag: String) -> String {
        var reference = tag
        if let at = reference.firstIndex(of: "@") {
            reference = String(reference[..<at])
        }
        if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") {
            reference = String(reference[..<colon])
        }
        return reference
    }
}
