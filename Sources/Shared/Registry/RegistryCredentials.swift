import Foundation

/// Credentials for one registry.
public struct RegistryCredentials: Sendable, Hashable {
    /// The user name (for basic auth and token requests).
    public var username: String
    /// The password or personal access token.
    public var password: String
    /// An OAuth refresh token (`identitytoken` in config.json, or a helper's `<token>` user), exchanged for
    /// bearer tokens instead of the password.
    public var identityToken: String?

    /// Creates credentials.
    public init(username: String, password: String, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
    }

    /// The value of a basic `Authorization` header.
    public var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

extension RegistryCredentials: CustomStringConvertible {
    /// Names the user only: secrets never reach logs or error messages.
    public var description: String { "credentials for user \(username)" }
}
