import Shared
import Testing

@testable import Coordinator

@Suite("Planner")
struct PlannerTests {
    static func host(
        _ name: String, _ platforms: [Platform], cross: [Platform] = [], windows: WindowsVersion? = nil,
        capacity: Int = 1
    ) -> BuildHost {
        BuildHost(
            name: name, address: "\(name).example.com", platforms: platforms, crossPlatforms: cross,
            windowsVersion: windows, capacity: capacity)
    }

    static func target(_ platforms: [Platform], windows: [WindowsVersion] = [.ltsc2022]) -> BuildTarget {
        BuildTarget(image: "registry.example.com/velero/velero", version: "v1.14", platforms: platforms, windowsVersions: windows)
    }

    @Test func assignsEachPlatformToItsNativeHost() throws {
        let inventory = Inventory(hosts: [
            Self.host("amd", [.linuxAMD64]), Self.host("arm", [.linuxARM64]),
            Self.host("win", [.windowsAMD64], windows: .ltsc2022),
        ])
        let plan = try Planner(inventory: inventory).plan(Self.target([.linuxAMD64, .linuxARM64, .windowsAMD64]))
        #expect(plan.assignments.map(\.host.name) == ["amd", "arm", "win"])
        #expect(plan.assignments.map(\.slot.reference) == [
            "registry.example.com/velero/velero:v1.14-linux-amd64",
            "registry.example.com/velero/velero:v1.14-linux-arm64",
            "registry.example.com/velero/velero:v1.14-windows-ltsc2022-amd64",
        ])
        #expect(plan.assignments.allSatisfy { $0.mode == .native && $0.alternates.isEmpty })
        #expect(plan.target.listReference == "registry.example.com/velero/velero:v1.14")
    }

    @Test func prefersNativeOverCrossAndKeepsCrossAsFailover() throws {
        let inventory = Inventory(hosts: [
            Self.host("linux-cross", [.linuxAMD64], cross: [.windowsAMD64], windows: .ltsc2022),
            Self.host("win", [.windowsAMD64], windows: .ltsc2022),
        ])
        let plan = try Planner(inventory: inventory).plan(Self.target([.windowsAMD64]))
        #expect(plan.assignments[0].host.name == "win")
        #expect(plan.assignments[0].alternates.map(\.name) == ["linux-cross"])
    }

    @Test func failoverKeepsTheToolchain() throws {
        // "buildah-early" is listed before "buildx-late", but the slot went to a buildx host: the
        // failover tries the other buildx host first, then the buildah one; cross-building last.
        var buildah = Self.host("buildah-early", [.linuxAMD64])
        buildah.builder = .buildah
        let inventory = Inventory(hosts: [
            Self.host("cross", [], cross: [.linuxAMD64]), Self.host("buildx-first", [.linuxAMD64], capacity: 4),
            buildah, Self.host("buildx-late", [.linuxAMD64]),
        ])
        let plan = try Planner(inventory: inventory).plan(Self.target([.linuxAMD64]))
        #expect(plan.assignments[0].host.name == "buildx-first")
        #expect(plan.assignments[0].alternates.map(\.name) == ["buildx-late", "buildah-early", "cross"])
    }

    @Test func spreadsLoadByCapacityAndConstrainedSlotsFirst() throws {
        // "both" could take amd64 or arm64, "amd" only amd64: arm64 (one candidate) is placed first.
        let inventory = Inventory(hosts: [
            Self.host("both", [.linuxAMD64, .linuxARM64]), Self.host("amd", [.linuxAMD64]),
        ])
        let plan = try Planner(inventory: inventory).plan(Self.target([.linuxAMD64, .linuxARM64]))
        #expect(plan.assignments.map(\.host.name) == ["amd", "both"])
        #expect(plan.assignments[0].alternates.map(\.name) == ["both"])

        let big = Inventory(hosts: [
            Self.host("small", [.linuxAMD64, .linuxARM64, Platform(os: "linux", architecture: "arm", variant: "v7")]),
            Self.host("large", [.linuxAMD64, .linuxARM64, Platform(os: "linux", architecture: "arm", variant: "v7")],
                      capacity: 4),
        ])
        let spread = try Planner(inventory: big).plan(
            Self.target([.linuxAMD64, .linuxARM64, Platform(os: "linux", architecture: "arm", variant: "v7")]))
        #expect(spread.assignments.map(\.host.name).filter { $0 == "large" }.count == 2)
    }

    @Test func windowsVersionsMakeOneSlotEach() throws {
        let inventory = Inventory(hosts: [
            Self.host("w19", [.windowsAMD64], windows: .ltsc2019), Self.host("w22", [.windowsAMD64], windows: .ltsc2022),
        ])
        let plan = try Planner(inventory: inventory).plan(Self.target([.windowsAMD64], windows: [.ltsc2019, .ltsc2022]))
        #expect(plan.assignments.map(\.host.name) == ["w19", "w22"])
        #expect(plan.assignments.map(\.slot.tag) == ["v1.14-windows-ltsc2019-amd64", "v1.14-windows-ltsc2022-amd64"])
    }

    @Test func platformWithoutHostIsAnError() {
        let inventory = Inventory(hosts: [Self.host("amd", [.linuxAMD64])], source: "fleet.json")
        #expect {
            try Planner(inventory: inventory).plan(Self.target([.linuxAMD64, .linuxARM64]))
        } throws: { error in
            (error as? PlanError)?.description
                == "no host in fleet.json builds linux/arm64 (the inventory offers linux/amd64); add a host for it or drop it from --platform"
        }
        let windows = Inventory(hosts: [Self.host("w22", [.windowsAMD64], windows: .ltsc2022)], source: "fleet.json")
        #expect {
            try Planner(inventory: windows).plan(Self.target([.windowsAMD64], windows: [.ltsc2019]))
        } throws: { error in
            (error as? PlanError)?.description.contains("builds windows/amd64 for ltsc2019 (w22 builds ltsc2022)") == true
        }
    }
}
