import Shared

/// Who builds what: every slot with the host it is given and the hosts that can take over.
struct BuildPlan: Hashable, Sendable {
    struct Assignment: Hashable, Sendable {
        var slot: BuildSlot
        /// The host given the slot.
        var host: BuildHost
        var mode: BuildMode
        /// Other eligible hosts, in the order failover tries them.
        var alternates: [BuildHost]
    }

    var target: BuildTarget
    var assignments: [Assignment]
}
