import ArgumentParser
import Testing

@testable import Coordinator

@Suite("command line parsing")
struct CommandLineParsingTests {
    static let target = "127.0.0.1:5000/velero/velero:v1"

    @Test("`manifest create` parses to the same command as through the whole tree")
    func manifestCreate() throws {
        let arguments = [
            "manifest", "create", "--target", Self.target, "linux/amd64=:v1-linux-amd64", "windows/amd64=:v1-windows",
            "--windows-version", "ltsc2022", "--drop-attestations", "--json",
            "--insecure-registry", "registry.lan:5000",
            "--ca-cert", "/tmp/ca.pem", "--certs-dir", "/tmp/certs.d",
        ]
        let parsed = try #require(try CommandLineParsing.command(for: arguments) as? ManifestCreateCommand)
        let tree = try #require(try Coordinator.parseAsRoot(arguments) as? ManifestCreateCommand)
        for command in [parsed, tree] {
            #expect(command.target == Self.target)
            #expect(command.sources == ["linux/amd64=:v1-linux-amd64", "windows/amd64=:v1-windows"])
            #expect(command.windowsVersion == "ltsc2022")
            #expect(command.dropAttestations && command.json && !command.noCrossRepository)
            #expect(command.registry.insecureRegistries == ["registry.lan:5000"])
            #expect(command.registry.caCertificates == ["/tmp/ca.pem"])
            #expect(command.registry.certsDirectory == "/tmp/certs.d")
        }
    }

    @Test(
        "help, usage errors and other commands get the tree's message and exit code",
        arguments: [
            ["manifest", "create", "--help"], ["manifest", "create", "-h"], ["manifest", "create"],
            ["manifest", "create", "--target", target], ["manifest", "create", "--target", target, ":a", "--bogus"],
            ["manifest", "create", "--target", "\(target)@sha256:\(String(repeating: "ab", count: 32))", ":a"],
            ["manifest", "create", "--target", target, ":a", "--windows-version", "nt4"],
            ["manifest", "create", "--generate-completion-script", "bash"], ["manifest", "--help"], ["--help"],
            ["help", "manifest", "create"], ["manifest", "inspect"], ["bogus"],
        ])
    func sameAsTree(_ arguments: [String]) {
        func outcome(_ parse: () throws -> any ParsableCommand) -> String {
            do {
                return "parsed \(type(of: try parse()))"
            } catch {
                return "\(Coordinator.exitCode(for: error).rawValue): \(Coordinator.fullMessage(for: error))"
            }
        }
        let tree = outcome { try Coordinator.parseAsRoot(arguments) }
        #expect(outcome { try CommandLineParsing.command(for: arguments) } == tree)
        #expect(!tree.hasPrefix("parsed ManifestCreateCommand"), "each case is one the tree does not accept as is")
    }

    static let digestTarget = "\(target)@sha256:\(String(repeating: "ab", count: 32))"

    @Test(
        "`manifest create` in its plain form is read without ArgumentParser, to the same request",
        arguments: [
            ["--target", target, ":a"],
            ["--target=\(target)", "linux/amd64=:v1-linux-amd64", "windows/amd64=:v1-windows"],
            [":a", "--target", target, "linux/arm64=127.0.0.1:5000/other/repo@sha256:\(String(repeating: "cd", count: 32))"],
            ["--target", target, ":a", "--windows-version", "ltsc2022", "--drop-attestations", "--no-cross-repository", "--json"],
            ["--target", target, ":a", "--windows-version=10.0.20348", "--certs-dir=/tmp/certs.d"],
            ["--insecure-registry", "a.lan:5000", "--target", target, "--insecure-registry=b.lan", ":a", "--ca-cert", "/x.pem",
             "--ca-cert=/y.pem", ":b"],
            ["--target", target, "", ":a"],
            ["--target", "127.0.0.1:5000/app", "unicode=:ünïcödé", "--certs-dir", "/tmp/with space/a=b"],
        ])
    func quickManifestCreate(_ options: [String]) throws {
        let arguments = ["manifest", "create"] + options
        let quick = try #require(CommandLineParsing.manifestCreateRequest(for: arguments))
        let tree = try #require(try Coordinator.parseAsRoot(arguments) as? ManifestCreateCommand)
        #expect(quick == tree.request)
    }

    @Test(
        "anything but the plain form of `manifest create` is left to ArgumentParser",
        arguments: [
            ["manifest", "create"], ["manifest", "create", "--help"], ["manifest", "create", "-h"],
            ["manifest", "create", "--target", target, ":a", "--help"], ["manifest", "create", "--target", target, ":a", "help"],
            ["manifest", "create", "--target", target], ["manifest", "create", ":a"],
            ["manifest", "create", "--target", target, ":a", "--bogus"], ["manifest", "create", "--target", target, "--", ":a"],
            ["manifest", "create", "--target", target, ":a", "-x"], ["manifest", "create", "--target", target, ":a", "--json=yes"],
            ["manifest", "create", "--target", target, "--target", target, ":a"],
            ["manifest", "create", "--target", target, ":a", "--windows-version", "ltsc2022", "--windows-version", "ltsc2019"],
            ["manifest", "create", "--target", target, ":a", "--json", "--json"],
            ["manifest", "create", "--target", "--json", ":a"], ["manifest", "create", ":a", "--target"],
            ["manifest", "create", "--target", digestTarget, ":a"],
            ["manifest", "create", "--target", target, ":a", "--windows-version", "nt4"],
            ["manifest", "create", "--target", target, ":a", "--generate-completion-script", "bash"],
            ["manifest", "inspect", target], ["manifest", "--target", target, ":a"], ["create", "--target", target, ":a"],
        ])
    func leftToArgumentParser(_ arguments: [String]) {
        #expect(CommandLineParsing.manifestCreateRequest(for: arguments) == nil)
    }
}
