import Foundation
import NIOSSL
import Testing

@testable import Shared

@Suite("Registry security rules")
struct RegistrySecurityTests {
    @Test(
        "plain HTTP only for loopback, localhost and listed registries",
        arguments: [
            ("127.0.0.1:5000", true), ("127.4.5.6", true), ("localhost:5001", true), ("localhost", true), ("[::1]:5000", true),
            ("127.0.0.1.example.com", false), ("128.0.0.1:5000", false), ("registry.example.com", false),
            ("insecure.example:5000", true), ("hostonly.example:1234", true), ("hostonly.example", true),
            ("insecure.example:5001", false), ("10.0.0.1:5000", false),
        ])
    func insecure(_ registry: String, expected: Bool) {
        let security = RegistrySecurity(insecureRegistries: ["insecure.example:5000", "hostonly.example"])
        #expect(security.isInsecure(registry) == expected)
    }

    @Test("CA files from the option and from certs.d/HOST:PORT are trusted in addition to the system's")
    func certificates() throws {
        let folder = NSTemporaryDirectory() + "coordinator-certs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/localhost:5001", withIntermediateDirectories: true)
        for name in ["localhost:5001/ca.crt", "localhost:5001/extra.crt", "localhost:5001/notes.txt", "option.pem"] {
            try "x".write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        let security = RegistrySecurity(caCertificateFiles: [folder + "/option.pem"], certsDirectory: folder)
        let tls = try security.tlsConfiguration(for: "localhost:5001")
        #expect(tls.additionalTrustRoots == [
            .file(folder + "/option.pem"), .file(folder + "/localhost:5001/ca.crt"), .file(folder + "/localhost:5001/extra.crt"),
        ])
        #expect(tls.trustRoots == .default)
        #expect(try security.tlsConfiguration(for: "other:5001").additionalTrustRoots == [.file(folder + "/option.pem")])
    }

    @Test("a CA file that cannot be read is an error naming it")
    func missingCA() {
        let security = RegistrySecurity(caCertificateFiles: ["/nonexistent/ca.pem"])
        #expect {
            try security.tlsConfiguration(for: "localhost:5001")
        } throws: { error in
            "\(error)".contains("/nonexistent/ca.pem")
        }
    }

    @Test("retries: 429 and 5xx except 501/505; Retry-After honoured up to the cap; backoff grows")
    func retryPolicy() {
        #expect([429, 500, 502, 503, 504].allSatisfy(RetryPolicy.isRetryable(status:)))
        #expect(![200, 400, 401, 404, 501, 505].contains(where: RetryPolicy.isRetryable(status:)))
        let policy = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(100), maxBackoff: .seconds(2))
        #expect(policy.delay(afterAttempt: 1, retryAfter: "1") == .seconds(1))
        #expect(policy.delay(afterAttempt: 1, retryAfter: "120") == .seconds(2))
        #expect((.milliseconds(75)...(.milliseconds(125))).contains(policy.delay(afterAttempt: 1)))
        #expect((.milliseconds(300)...(.milliseconds(500))).contains(policy.delay(afterAttempt: 3)))
        #expect(policy.delay(afterAttempt: 30) <= .seconds(2))
    }
}
