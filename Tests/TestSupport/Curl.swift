import Foundation

/// HTTP checks through `curl`, for tests that need what URLSession on Linux lacks (a CA file, HTTP/2).
///
/// Credentials never appear on curl's command line: they go in a curl config read from stdin.
public enum Curl {
    /// One HTTP response.
    public struct Response: Sendable {
        /// The status code (0 when no response arrived; see ``curlError``).
        public var status: Int
        /// Header lines of the final response, names lowercased.
        public var headers: [String: String]
        /// The body.
        public var body: Data
        /// curl's own error text when it failed (TLS, connection refused, ...).
        public var curlError: String
        /// curl's exit status (60 means the server's certificate was not trusted).
        public var curlExitStatus: Int32
    }

    /// Sends a request.
    /// - Parameters:
    ///   - url: the URL.
    ///   - method: the HTTP method.
    ///   - headers: extra request headers, e.g. `["Accept": "..."]`.
    ///   - user: `(name, password)` for HTTP Basic auth.
    ///   - bearer: a bearer token.
    ///   - caFile: a PEM file of trusted CAs (for TLS); the system store otherwise.
    public static func request(
        _ url: String, method: String = "GET", headers: [String: String] = [:],
        user: (String, String)? = nil, bearer: String? = nil, caFile: String? = nil
    ) async throws -> Response {
        var config = ""
        if let (name, password) = user { config += "user = \(quoted("\(name):\(password)"))\n" }
        if let bearer { config += "header = \(quoted("Authorization: Bearer \(bearer)"))\n" }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            config += "header = \(quoted("\(name): \(value)"))\n"
        }
        var arguments = ["curl", "-sS", "--noproxy", "*", "--max-time", "30", "-X", method, "-K", "-", "-i"]
        arguments += ["-w", "\n%{http_code}"]
        if let caFile { arguments += ["--cacert", caFile] }
        arguments.append(url)
        let result = try await Shell.run(arguments, input: Data(config.utf8))
        return parse(result)
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func parse(_ result: Shell.Result) -> Response {
        var data = result.stdoutData
        // The last line is the status code written by -w.
        var status = 0
        if let newline = data.lastIndex(of: UInt8(ascii: "\n")) {
            status = Int(String(decoding: data[(newline + 1)...], as: UTF8.self)) ?? 0
            data = data[..<newline]
        }
        var headers: [String: String] = [:]
        var body = Data()
        let separator = Data("\r\n\r\n".utf8)
        // Skip interim responses (100 Continue) and keep the final header block.
        var rest = Data(data)
        while let range = rest.range(of: separator) {
            let block = String(decoding: rest[..<range.lowerBound], as: UTF8.self)
            body = Data(rest[range.upperBound...])
            headers = [:]
            for line in block.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard block.hasPrefix("HTTP/"), block.contains(" 100 ") else { break }
            rest = body
        }
        return Response(
            status: status, headers: headers, body: body, curlError: result.stderr,
            curlExitStatus: result.status)
    }
}
