import Testing

@testable import Worker

/// How a failed build's output is read: a push the registry refused or broke off is an infrastructure failure that
/// names the registry; a Dockerfile failure, or a registry fault while pulling `FROM`, is not a push fault.
/// The logs are what buildx 0.13 (docker driver) and buildah 1.28 printed on the test fleet.
@Suite("registry push faults in builder output")
struct RegistryPushFaultClassificationTests {
    struct Sample: Sendable, CustomTestStringConvertible {
        var name: String
        var log: [String]
        var isPushFault: Bool
        var testDescription: String { name }
    }

    static let tag = "127.0.0.1:5004/exp/a:v1-linux-amd64"

    static let samples: [Sample] = [
        Sample(name: "buildx: registry down when the push starts", log: [
            "#6 pushing 127.0.0.1:5004/exp/a:v1-linux-amd64 with docker",
            "#6 ERROR: Get \"http://127.0.0.1:5004/v2/\": dial tcp 127.0.0.1:5004: connect: connection refused",
            "------", " > pushing 127.0.0.1:5004/exp/a:v1-linux-amd64 with docker:", "------",
            "ERROR: Get \"http://127.0.0.1:5004/v2/\": dial tcp 127.0.0.1:5004: connect: connection refused",
        ], isPushFault: true),
        Sample(name: "buildah: registry down after its own retries", log: [
            "Getting image source signatures",
            "Error: pushing image \"127.0.0.1:5004/exp/a:v1-linux-amd64\" to \"docker://127.0.0.1:5004/exp/a:v1-linux-amd64\": "
                + "trying to reuse blob sha256:201f at destination: pinging container registry 127.0.0.1:5004: "
                + "Get \"http://127.0.0.1:5004/v2/\": dial tcp 127.0.0.1:5004: connect: connection refused",
        ], isPushFault: true),
        Sample(name: "buildx: registry died mid-upload (EOF)", log: [
            "#7 pushing layer bcc1236d7e29 30.93MB / 50.33MB 7.4s",
            "ERROR: failed to push 127.0.0.1:5004/exp/a:v1-linux-amd64: Patch \"http://127.0.0.1:5004/v2/exp/a/blobs/"
                + "uploads/ee20?_state=x\": EOF",
        ], isPushFault: true),
        Sample(name: "registry restarted without the upload's state", log: [
            "#7 pushing layer bcc1236d7e29", "ERROR: failed to push: blob upload unknown to registry",
        ], isPushFault: true),
        Sample(name: "registry overloaded (503)", log: [
            "#6 pushing 127.0.0.1:5004/exp/a:v1-linux-amd64 with docker",
            "ERROR: unexpected status from PUT request to http://127.0.0.1:5004/v2/exp/a/manifests/v1: 503 Service Unavailable",
        ], isPushFault: true),
        Sample(name: "a failing RUN step", log: [
            "#5 [2/2] RUN false", "#5 ERROR: process \"/bin/sh -c false\" did not complete successfully: exit code: 1",
        ], isPushFault: false),
        Sample(name: "the FROM image's registry is down (no push happened)", log: [
            "#2 [internal] load metadata for 127.0.0.1:5004/base:latest",
            "ERROR: failed to solve: 127.0.0.1:5004/base:latest: failed to resolve source metadata: "
                + "dial tcp 127.0.0.1:5004: connect: connection refused",
        ], isPushFault: false),
        Sample(name: "another registry refused during the push (not the one pushed to)", log: [
            "#6 pushing 127.0.0.1:5004/exp/a:v1-linux-amd64 with docker",
            "ERROR: Get \"http://127.0.0.9:5000/v2/\": dial tcp 127.0.0.9:5000: connect: connection refused",
        ], isPushFault: false),
    ]

    @Test("push faults are recognised, others are not", arguments: samples)
    func classify(_ sample: Sample) {
        let fault = RegistryPushFault.find(in: sample.log, tag: Self.tag)
        #expect((fault != nil) == sample.isPushFault)
        if let fault {
            #expect(fault.registry == "127.0.0.1:5004")
            #expect(fault.message.hasPrefix("pushing \(Self.tag) failed because the registry 127.0.0.1:5004 was unreachable"))
        }
    }
}
