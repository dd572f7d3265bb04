import Shared

/// A slot that no inventory host can build.
struct PlanError: CoordinatorFailure {
    let description: String
    var exitCode: CoordinatorExitCode { .usage }
}

/// Gives each slot a host: most constrained slots first, each to the eligible host with the
/// lowest load relative to its capacity, native hosts before cross-building ones, then in
/// inventory order. The other eligible hosts become the slot's failover order, which keeps the
/// toolchain: native before cross-building, then the same builder kind as the slot's host (a
/// Dockerfile that buildx builds may use syntax buildah rejects), then load, then inventory order.
struct Planner: Sendable {
    var inventory: Inventory

    func plan(_ target: BuildTarget) throws(PlanError) -> BuildPlan {
        let slots = target.slots
        var eligible: [BuildSlot: [BuildHost]] = [:]
        for slot in slots {
            let hosts = inventory.hosts.filter { canBuild($0, slot) }
            guard !hosts.isEmpty else { throw PlanError(description: noHostMessage(for: slot)) }
            eligible[slot] = hosts
        }

        var load: [String: Int] = [:]
        var chosen: [BuildSlot: BuildPlan.Assignment] = [:]
        let constrainedFirst = slots.enumerated().sorted { lhs, rhs in
            let (left, right) = (eligible[lhs.element]!.count, eligible[rhs.element]!.count)
            return left != right ? left < right : lhs.offset < rhs.offset
        }
        for (_, slot) in constrainedFirst {
            let ranked = rank(eligible[slot]!, for: slot, load: load)
            let host = ranked[0]
            load[host.name, default: 0] += 1
            chosen[slot] = BuildPlan.Assignment(
                slot: slot, host: host, mode: host.buildMode(for: slot.platform)!,
                alternates: failoverOrder(Array(ranked.dropFirst()), after: host, for: slot, load: load))
        }
        return BuildPlan(target: target, assignments: slots.map { chosen[$0]! })
    }

    /// Whether `host` builds the slot's platform, and for Windows, its Windows release.
    func canBuild(_ host: BuildHost, _ slot: BuildSlot) -> Bool {
        guard host.buildMode(for: slot.platform) != nil else { return false }
        return !slot.platform.isWindows || host.windowsVersion == slot.windowsVersion
    }

    private func rank(_ hosts: [BuildHost], for slot: BuildSlot, load: [String: Int]) -> [BuildHost] {
        hosts.sorted { lhs, rhs in
            let left = Double(load[lhs.name, default: 0]) / Double(lhs.capacity)
            let right = Double(load[rhs.name, default: 0]) / Double(rhs.capacity)
            if left != right { return left < right }
            return preference(lhs, rhs, slot)
        }
    }

    /// The failover order after `first`: native before cross-building, the same builder kind as
    /// `first`, lower load relative to capacity, then inventory order.
    private func failoverOrder(
        _ hosts: [BuildHost], after first: BuildHost, for slot: BuildSlot, load: [String: Int]
    ) -> [BuildHost] {
        hosts.sorted { lhs, rhs in
            let (leftMode, rightMode) = (lhs.buildMode(for: slot.platform), rhs.buildMode(for: slot.platform))
            if leftMode != rightMode { return leftMode == .native }
            let (leftKind, rightKind) = (lhs.builder == first.builder, rhs.builder == first.builder)
            if leftKind != rightKind { return leftKind }
            let left = Double(load[lhs.name, default: 0]) / Double(lhs.capacity)
            let right = Double(load[rhs.name, default: 0]) / Double(rhs.capacity)
            if left != right { return left < right }
            return index(of: lhs) < index(of: rhs)
        }
    }

    /// Native before cross-building, then inventory order.
    private func preference(_ lhs: BuildHost, _ rhs: BuildHost, _ slot: BuildSlot) -> Bool {
        let (left, right) = (lhs.buildMode(for: slot.platform), rhs.buildMode(for: slot.platform))
        if left != right { return left == .native }
        return index(of: lhs) < index(of: rhs)
    }

    private func index(of host: BuildHost) -> Int {
        inventory.hosts.firstIndex { $0.name == host.name } ?? Int.max
    }

    private func noHostMessage(for slot: BuildSlot) -> String {
        let platformHosts = inventory.hosts.filter { $0.buildMode(for: slot.platform) != nil }
        if slot.platform.isWindows, !platformHosts.isEmpty {
            let offered = platformHosts.map { "\($0.name) builds \($0.windowsVersion?.rawValue ?? "?")" }
            return "no host in \(inventory.source) builds \(slot.platform) for \(slot.windowsVersion!) "
                + "(\(offered.joined(separator: ", "))); pass --windows-version with one of those, or add a host"
        }
        let offered = Set(inventory.hosts.flatMap(\.allPlatforms)).sorted().map(\.description)
        return "no host in \(inventory.source) builds \(slot.platform) (the inventory offers "
            + "\(offered.joined(separator: ", "))); add a host for it or drop it from --platform"
    }
}
