import Shared
import Testing
@testable import Worker

@testable import Coordinator

@Suite("hosts check --smoke: steps and their report")
struct HostSmokeReportTests {
    static func smoke(push: Bool, windows: Bool = false) -> HostSmoke {
        HostSmoke(
            host: "h", platform: "linux/amd64", builder: "buildx", tag: "t",
            steps: HostSmoke.stepNames(push: push, windowsBase: windows).map { .init(name: $0, outcome: .skipped) },
            seconds: 1)
    }

    @Test("the steps of each mode")
    func stepNames() {
        #expect(HostSmoke.stepNames(push: false, windowsBase: false) == ["connect", "probe", "upload", "build", "fetch", "digest"])
        #expect(HostSmoke.stepNames(push: true, windowsBase: true)
            == ["connect", "probe", "base image", "upload", "login", "build", "push", "digest"])
    }

    @Test("steps before the failed one are ok, after it skipped")
    func record() {
        var smoke = Self.smoke(push: true)
        smoke.record(failedAt: "build", problem: "boom")
        #expect(smoke.steps.map(\.outcome) == [.ok, .ok, .ok, .ok, .failed, .skipped, .skipped])
        smoke.markNoLogin()
        #expect(smoke.steps[3].outcome == .skipped)
        #expect(HostSmoke.table([smoke]).contains("h: boom") == false)
        #expect(HostSmoke.table([smoke]).contains("h linux/amd64: boom"))
    }

    @Test("a failure in the build's script is put on login, push or build by its output", arguments: [
        (["Error response from daemon: login attempt to http://r/v2/ failed"], true, true, "login"),
        (["Error: logging into \"r\": invalid username/password"], true, true, "login"),
        (["#6 ERROR: unauthorized: valid credentials are required", " > pushing r/x:t with docker:"], true, false, "push"),
        (["Error: pushing image \"r/x:t\": denied"], true, true, "push"),
        (["Dockerfile:2", "COPY failed: file not found"], true, true, "build"),
        (["ERROR: unauthorized"], false, false, "build"),
    ] as [([String], Bool, Bool, String)])
    func attribution(log: [String], push: Bool, loggedIn: Bool, step: String) {
        let error = RemoteBuildError(phase: .building, host: "h", message: "the build ended with exit code 1",
            failureKind: .build, logTail: log)
        #expect(HostSmoke.step(of: error, push: push, loggedIn: loggedIn) == step)
    }
}
